"""Websocket against a real server: streaming frames, commands, errors, read-only viewers."""

import asyncio
import json
import socket
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .helpers import Client, auth, create, ws_url


@pytest.fixture
def session(server):
    return create(server, dataset="ring8", seed=7)


def iteration(server, session):
    return httpx.get(f"{server}/api/sessions/{session['id']}").json()["iteration"]


def test_hello_then_stream_at_least_20_frames(server, session):
    with Client(ws_url(server, session)) as c:
        hello = c.wait_message(lambda m: m["type"] == "hello")
        assert hello["writable"] is True and hello["modes_total"] == 8
        c.send(cmd="play")
        t0 = time.monotonic()
        while len(c.frames) < 21 and time.monotonic() - t0 < 5:
            c.pump(0.1)
        assert len(c.frames) >= 21, f"{len(c.frames)} frames in 5 s"
        its = [f.header["iteration"] for f in c.frames]
        assert its == sorted(its) and its[-1] > its[0]
        f = c.frames[-1]
        assert f.sections["heatmap"].shape == (64, 64) and f.sections["fake"].shape[1] == 2
        c.send(cmd="pause")
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "pause")
        stopped = iteration(server, session)
        c.pump(0.3)
        assert iteration(server, session) == stopped


def test_step_parts_over_websocket(server, session):
    with Client(ws_url(server, session)) as c:
        c.send(cmd="step", n=2)
        a = c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "step")
        c.send(cmd="step", n=1, part="d")
        b = c.wait_message(lambda m: m["type"] == "ack" and m["iteration"] == 3)
        assert b["losses"]["g"] == a["losses"]["g"] and b["losses"]["d"] != a["losses"]["d"]
        c.pump(0.3)
        assert c.frames[-1].header["iteration"] == 3


BAD = ['not json', '{"cmd":"fly"}', '{"cmd":"step","n":0}', '{"cmd":"step","n":1e9}', '[1,2]',
       '{"cmd":"slowmo","on":true,"stage_ms":50}', '{}', '{"cmd":"speed"}', '"x"' * 40000,
       '{"cmd":"config","config":{"generator":{"lr":"fast"}}}']


def test_bad_messages_get_errors_and_the_socket_stays_open(server, session):
    with Client(ws_url(server, session)) as c:
        for text in BAD:
            c.ws.send(text)
        c.ws.send(b"\x00\x01binary")
        deadline = time.monotonic() + 5
        while len([m for m in c.messages if m["type"] == "error"]) < len(BAD) + 1:
            assert time.monotonic() < deadline, c.messages
            c.pump(0.1)
        errors = [m for m in c.messages if m["type"] == "error"]
        lr = [e for e in errors if e["field"] == "config.generator.lr"]
        assert lr and "valid number" in lr[0]["detail"]
        assert any(e["field"] == "n" and "10000" in e["detail"] for e in errors)
        assert any("over the limit" in e["detail"] for e in errors)
        c.send(cmd="step", n=1)
        assert c.wait_message(lambda m: m["type"] == "ack")["iteration"] == 1


def test_config_and_slowmo_over_websocket(server, session):
    with Client(ws_url(server, session)) as c:
        c.send(cmd="config", config={"batch_size": 32, "k_d": 1})
        msg = c.wait_message(lambda m: m["type"] == "config")
        assert msg["config"]["batch_size"] == 32 and msg["rebuilt"] is False
        c.send(cmd="slowmo", on=True, stage_ms=200)
        c.send(cmd="play")
        names, t0 = set(), time.monotonic()
        while len(names) < 3 and time.monotonic() - t0 < 5:
            c.pump(0.1)
            names |= {f.header["stage"]["name"] for f in c.frames if f.header.get("stage")}
        assert len(names) >= 3
        c.send(cmd="pause")
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "pause")


def test_viewer_without_token_is_read_only(server, session):
    with Client(ws_url(server, session, token=None)) as viewer:
        assert viewer.wait_message(lambda m: m["type"] == "hello")["writable"] is False
        viewer.send(cmd="play")
        assert viewer.wait_message(lambda m: m["type"] == "error")["field"] == "token"
        assert httpx.get(f"{server}/api/sessions/{session['id']}").json()["running"] is False
        httpx.post(f"{server}/api/sessions/{session['id']}/step", json={"n": 4}, headers=auth(session))
        deadline = time.monotonic() + 5
        while not (viewer.frames and viewer.frames[-1].header["iteration"] == 4):
            assert time.monotonic() < deadline
            viewer.pump(0.1)


def test_wrong_token_and_unknown_session_are_refused(server, session):
    for url in (ws_url(server, session, token="wrong"), ws_url(server, {"id": "nope", "token": "x"})):
        with pytest.raises((ConnectionClosed, InvalidStatus)):
            with Client(url) as c:
                c.ws.recv(timeout=5)


def test_slow_client_gets_the_newest_frame_not_a_backlog(server, session):
    httpx.patch(f"{server}/api/sessions/{session['id']}/config", json={"heatmap_resolution": 256},
                headers=auth(session))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(server.rsplit(":", 1)[1])))
    with Client(ws_url(server, session), sock=sock, max_queue=1) as c:
        c.send(cmd="play")
        time.sleep(3.0)  # read nothing: ~90 frames are produced meanwhile
        c.pump(1.0)
        live = iteration(server, session)
        c.send(cmd="pause")
        assert 0 < len(c.frames) < 60, len(c.frames)
        assert live - c.frames[-1].header["iteration"] < 0.2 * live  # what arrives is fresh


def test_preset_and_knob_commands(server, session):
    with Client(ws_url(server, session)) as c:
        c.send(cmd="knob", name="kd-plus-1")
        assert c.wait_message(lambda m: m["type"] == "config")["config"]["k_d"] == 3
        c.send(cmd="preset", name="ring8-balanced")
        msg = c.wait_message(lambda m: m["type"] == "config" and m.get("preset") == "ring8-balanced")
        assert msg["rebuilt"] is True
        c.send(cmd="knob", name="warp-drive")
        assert c.wait_message(lambda m: m["type"] == "error")["field"] == "name"


def test_deleting_a_session_tells_its_sockets_and_closes_them(server):
    s = create(server, dataset="ring", seed=3)
    viewer = {**s, "token": s["viewer_token"]}
    with Client(ws_url(server, s)) as owner, Client(ws_url(server, viewer)) as watcher:
        owner.wait_message(lambda m: m["type"] == "hello")
        watcher.wait_message(lambda m: m["type"] == "hello")
        r = httpx.delete(f"{server}/api/sessions/{s['id']}", headers=auth(s))
        assert r.status_code == 204
        for c in (owner, watcher):
            with pytest.raises(ConnectionClosed) as info:
                c.wait_message(lambda m: False, timeout=5)
            assert any(m["type"] == "ended" for m in c.messages)
            assert info.value.rcvd.code == 4404


def test_a_burst_of_bad_messages_gets_every_error_reply(server, session):
    """200 malformed messages back to back (no reading meanwhile): 200 error replies, in order,
    none dropped (the server stops reading from a client whose replies queue up)."""
    with Client(ws_url(server, session)) as c:
        c.wait_message(lambda m: m["type"] == "hello")
        for i in range(200):
            c.ws.send("{" if i % 2 else json.dumps({"cmd": "no-such", "i": i}))
        c.ws.send(json.dumps({"cmd": "snapshot"}))
        c.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "snapshot", timeout=60)
        errors = [m for m in c.messages if m["type"] == "error"]
        assert len(errors) == 200, len(errors)


def test_the_message_size_limit_counts_bytes_not_characters(server, session):
    with Client(ws_url(server, session)) as c:
        c.wait_message(lambda m: m["type"] == "hello")
        text = json.dumps({"cmd": "points", "points": "é" * 40_000}, ensure_ascii=False)  # ~80 KB
        assert len(text) < 64 * 1024 < len(text.encode())
        c.ws.send(text)
        err = c.wait_message(lambda m: m["type"] == "error")
        assert "bytes is over the limit of 65536" in err["detail"]
        c.send(cmd="snapshot")
        c.wait_message(lambda m: m["type"] == "ack")


def test_calls_queued_on_a_deleted_session_get_410_or_404(server):
    """Steps waiting in a session's queue when it is deleted answer 410 Gone (404 once the id is
    gone before they arrive), never a 500 or a hang."""
    s = create(server, seed=3, config={"batch_size": 512, "generator": {"neurons": 64},
                                       "discriminator": {"neurons": 64}})
    url = f"{server}/api/sessions/{s['id']}"

    async def scenario():
        async with httpx.AsyncClient(timeout=60) as client:
            # the largest step (10,000 iterations: seconds even for the lean eager step)
            first = asyncio.create_task(client.post(f"{url}/step", json={"n": 10_000}, headers=auth(s)))
            await asyncio.sleep(0.5)  # the first step runs; the next ones queue behind it
            queued = [asyncio.create_task(client.post(f"{url}/step", json={"n": 1}, headers=auth(s)))
                      for _ in range(5)]
            await asyncio.sleep(0.5)
            assert (await client.delete(url, headers=auth(s))).status_code == 204
            return await first, await asyncio.gather(*queued)
    first, queued = asyncio.run(scenario())
    assert first.status_code in (200, 410), first.text
    codes = [r.status_code for r in queued]
    assert set(codes) <= {404, 410} and 410 in codes, [r.text for r in queued]
    assert "ended" in next(r for r in queued if r.status_code == 410).json()["detail"]
