"""The session host without Ray: its methods are coroutines, driven here on one event loop as Ray's
async actor would. Commands run in their sequence order whatever order they arrive in; a poll
hands one frame per session per tick and the events in order; errors come back as values that
rebuild the engine's own exceptions; identity (id, tokens) is what the gateway gave."""

from __future__ import annotations

import asyncio

import pytest

from gandojo.cluster.errors import unpack_error
from gandojo.cluster.host import SessionHost
from gandojo.engine.base import CommandUnavailable, InputError, SessionEnded
from gandojo.engine.frames import decode
from gandojo.engine.limits import LimitError, Limits
from gandojo.engine.manager import Ids
from gandojo.gan.config import GanConfig

IDS = Ids("sid-1", "token-1", "viewer-1")


def run(coro):
    return asyncio.run(coro)


async def with_host(body, limits: Limits | None = None):
    host = SessionHost("w0", "cpu", limits or Limits(), fps=30, batching=False, compile=False)
    try:
        return await body(host)
    finally:
        await host.close_all()


async def started(host: SessionHost, ids: Ids = IDS, seed: int = 3) -> dict:
    packed = await host.create("gaussians", GanConfig(), seed, "127.0.0.1", ids)
    assert packed[0] == "ok", packed
    return packed[1]


def test_a_session_keeps_the_identity_the_gateway_gave():
    async def body(host):
        made = await started(host)
        s = host.manager.get("sid-1")
        assert (s.id, s.token, s.viewer_token) == ("sid-1", "token-1", "viewer-1")
        assert made["kind"] == "2d" and made["info"]["iteration"] == 0
        again = await host.create("gaussians", GanConfig(), 3, None, IDS)  # the same id twice
        assert again[0] == "err" and "already here" in str(unpack_error(again[1]))
        return (await host.describe())["ids"]
    assert run(with_host(body)) == ["sid-1"]


def test_commands_run_in_sequence_order_whatever_order_they_arrive_in():
    async def body(host):
        await started(host)
        # seq 2 and 1 arrive before 0: each waits for its predecessors
        late = [asyncio.create_task(host.command("sid-1", seq, "step", {"n": n}))
                for seq, n in ((2, 100), (1, 10))]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in late)  # nothing ran out of order
        first = await host.command("sid-1", 0, "step", {"n": 1})
        second, third = await late[1], await late[0]
        return [r[1]["iteration"] for r in (first, second, third)]
    assert run(with_host(body)) == [1, 11, 111]


def test_errors_come_back_as_the_engines_own_exceptions():
    async def body(host):
        await started(host)
        out = [await host.command("sid-1", 0, "step", {"n": 10**9}),
               await host.command("sid-1", 1, "play", {"until": 0}),
               await host.command("sid-1", 2, "epoch", {}),
               await host.command("gone", 0, "step", {"n": 1})]
        ok = await host.command("sid-1", 3, "step", {"n": 2})  # numbering went on past the errors
        return out, ok
    out, ok = run(with_host(body, Limits(max_step_n=100)))
    errors = [unpack_error(o[1]) for o in out]
    assert isinstance(errors[0], LimitError) and errors[0].field == "n"
    assert isinstance(errors[1], InputError) and errors[1].field == "until"
    assert isinstance(errors[2], CommandUnavailable)
    assert isinstance(errors[3], SessionEnded)
    assert ok[0] == "ok" and ok[1]["iteration"] == 2


def test_a_poll_hands_the_newest_frame_once_and_every_event_in_order():
    async def body(host):
        await started(host)
        assert await host.watch("sid-1")
        await host.command("sid-1", 0, "step", {"n": 5})
        await host.command("sid-1", 1, "speed", {"iterations_per_frame": 2})
        news = (await host.poll(1.0))["sessions"]["sid-1"]
        empty = await host.poll(0.2)  # nothing new: no frame is handed twice
        await host.command("sid-1", 2, "play", {"until": 40})
        frames = []
        for _ in range(100):
            got = (await host.poll(0.5))["sessions"].get("sid-1", {})
            if got.get("frame"):
                frames.append(decode(got["frame"]).header["iteration"])
            if frames and frames[-1] == 40:
                break
        return news, empty, frames
    news, empty, frames = run(with_host(body))
    assert decode(news["frame"]).header["iteration"] == 5
    types = [m["type"] for m in news["messages"]]
    assert "viewers" not in types and types.count("state") >= 1  # the gateway counts its viewers
    assert news["messages"][-1].get("iterations_per_frame") == 2
    assert empty["sessions"] == {}
    assert frames == sorted(frames) and frames[-1] == 40  # newest only, in order, to the end


def test_link_resolves_the_follower_on_the_same_host():
    async def body(host):
        await started(host)
        await started(host, Ids("sid-2", "token-2", "viewer-2"))
        linked = await host.command("sid-1", 0, "link", {"follower": "sid-2"})
        missing = await host.command("sid-1", 1, "link", {"follower": "elsewhere"})
        return linked, missing, host.manager.get("sid-1").follower.id
    linked, missing, follower = run(with_host(body))
    assert linked[0] == "ok" and follower == "sid-2"
    assert missing[0] == "err" and "not on worker w0" in str(unpack_error(missing[1]))


@pytest.mark.parametrize("method,args", [("info", ()), ("state", ())])
def test_reads_answer_and_a_deleted_session_says_it_ended(method, args):
    async def body(host):
        await started(host)
        ok = await host.call("sid-1", method, args)
        await host.delete("sid-1")
        return ok, await host.call("sid-1", method, args)
    ok, gone = run(with_host(body))
    assert ok[0] == "ok" and ok[1]["iteration"] == 0
    assert isinstance(unpack_error(gone[1]), SessionEnded)
