"""`gandojo serve --workers 2` on a real local Ray cluster, driven over real REST and websockets:
the same contract as one process (create, play, frames, step, checkpoint, delete, tokens, limits),
sessions spread over the workers, and a killed worker process costs at most the checkpoint
interval: its kept session comes back on another worker (same id and token, a `restored_from`
state on its socket) and its next step is identical to the checkpoint's; a session with nothing
checkpointed ends with the reason."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
import torch
from safetensors.torch import load as st_load
from websockets.exceptions import ConnectionClosed

from gandojo.engine.checkpoint import metadata

from servers import wait_for
from tests.api.helpers import Client, auth, create, ws_url

pytest.importorskip("ray")
pytestmark = pytest.mark.cluster
OCTET = {"content-type": "application/octet-stream"}


@pytest.fixture(scope="module")
def cluster(make_server) -> str:
    return make_server("--workers", "2", "--checkpoint-interval", "1", GANDOJO_MAX_SESSIONS=8,
                       GANDOJO_MAX_STEP_N=500)


def same_state(a: bytes, b: bytes) -> bool:
    """Two checkpoints hold the same tensors, bit for bit, and the same metadata."""
    ta, tb = st_load(a), st_load(b)
    return (metadata(a) == metadata(b) and ta.keys() == tb.keys()
            and all(torch.equal(ta[k], tb[k]) for k in ta))


def workers(base: str) -> list[dict]:
    return httpx.get(f"{base}/api/cluster", timeout=10).json()["workers"]


def holder(base: str, sid: str) -> dict:
    return next(w for w in workers(base) if sid in w["sessions"])


def test_the_cluster_serves_the_same_contract_as_one_process(cluster):
    base = cluster
    info = httpx.get(f"{base}/api/cluster").json()
    assert info["mode"] == "workers" and len(info["workers"]) == 2
    assert len({w["pid"] for w in info["workers"]} | {None}) == 3  # two processes, not this one
    s = create(base, dataset="ring8", seed=4)
    got = httpx.get(f"{base}/api/sessions/{s['id']}").json()
    assert got["worker"] in {w["worker"] for w in info["workers"]} and got["device"] == "cpu"
    with Client(ws_url(base, s)) as c:
        c.send(cmd="play")
        assert wait_for(lambda: c.pump(0.2) or len(c.frames) >= 10, 20), "no frames streamed"
        c.send(cmd="pause")
        c.send(cmd="step", n=7)
        assert wait_for(lambda: c.pump(0.2) or any(m.get("cmd") == "step" for m in c.messages), 10)
        ack = next(m for m in c.messages if m.get("cmd") == "step")
        assert ack["type"] == "ack" and ack["iteration"] > 7
        c.send(cmd="step", n=600)  # over this server's limit (500): an error naming the field, the socket lives
        assert wait_for(lambda: c.pump(0.2) or any(m.get("type") == "error" for m in c.messages), 10)
        err = next(m for m in c.messages if m.get("type") == "error")
        assert err["field"] == "n" and "max_step_n" in err["detail"]
    frames = [f.header["iteration"] for f in c.frames]
    assert frames == sorted(frames) and frames[-1] >= 1
    r = httpx.post(f"{base}/api/sessions/{s['id']}/step", json={"n": 3}, headers=auth(s))
    assert r.status_code == 200 and r.json()["iteration"] == ack["iteration"] + 3
    ck = httpx.get(f"{base}/api/sessions/{s['id']}/checkpoint", headers=auth(s))
    assert ck.status_code == 200 and ck.content[8:].lstrip().startswith(b"{")
    assert httpx.delete(f"{base}/api/sessions/{s['id']}", headers=auth(s)).status_code == 204
    assert httpx.get(f"{base}/api/sessions/{s['id']}").status_code == 404


def test_tokens_and_limits_hold_in_cluster_mode(cluster):
    base = cluster
    s = create(base, dataset="gaussians", seed=1)
    url = f"{base}/api/sessions/{s['id']}"
    assert httpx.post(f"{url}/step", json={"n": 1}).status_code == 401
    assert httpx.post(f"{url}/step", json={"n": 1}, headers={"Authorization": "Bearer x"}).status_code == 403
    viewer = {"Authorization": f"Bearer {s['viewer_token']}"}
    assert httpx.post(f"{url}/step", json={"n": 1}, headers=viewer).status_code == 403
    r = httpx.post(f"{base}/api/sessions", json={"config": {"batch_size": 10**7}})
    assert r.status_code == 422 and "batch_size" in r.text
    with Client(ws_url(base, s, token=s["viewer_token"])) as c:  # a viewer watches, never controls
        c.send(cmd="play")
        assert wait_for(lambda: c.pump(0.2) or any(m.get("type") == "error" for m in c.messages), 10)
        assert next(m for m in c.messages if m.get("type") == "error")["field"] == "token"
    held = [create(base, dataset="gaussians") for _ in range(8 - sum(len(w["sessions"]) for w in workers(base)))]
    full = httpx.post(f"{base}/api/sessions", json={})
    assert full.status_code == 429 and "max_sessions" in full.text
    for h in [s, *held]:
        httpx.delete(f"{base}/api/sessions/{h['id']}", headers=auth(h))


def test_sessions_spread_over_the_workers(cluster):
    base = cluster
    made = [create(base, dataset="gaussians", seed=i) for i in range(4)]
    loads = sorted(len(w["sessions"]) for w in workers(base))
    assert loads == [2, 2]
    for s in made:
        httpx.delete(f"{base}/api/sessions/{s['id']}", headers=auth(s))


def test_a_killed_worker_restores_its_kept_session_with_the_identical_next_step(cluster):
    base = cluster
    s = create(base, dataset="ring8", seed=9, keep=True)
    url = f"{base}/api/sessions/{s['id']}"
    assert httpx.post(f"{url}/step", json={"n": 40}, headers=auth(s)).json()["iteration"] == 40
    ck = httpx.get(f"{url}/checkpoint", headers=auth(s)).content
    assert wait_for(lambda: (httpx.get(url).json().get("checkpointed") or {}).get("iteration") == 40, 15)
    victim = holder(base, s["id"])
    with Client(ws_url(base, s)) as c:
        c.pump(0.5)
        os.kill(victim["pid"], signal.SIGKILL)
        t0 = time.monotonic()
        assert wait_for(lambda: c.pump(0.2) or any("restored_from" in m for m in c.messages), 30)
        restore_s = time.monotonic() - t0
        state = next(m for m in c.messages if "restored_from" in m)
        assert state["type"] == "state" and state["restored_from"] == 40 and state["iteration"] == 40
        c.send(cmd="step", n=1)  # the same socket, the same token, on the other worker
        assert wait_for(lambda: c.pump(0.2) or any(m.get("cmd") == "step" for m in c.messages), 10)
    now = httpx.get(url).json()
    assert now["worker"] != victim["worker"] and now["restored_from"] == 40 and now["iteration"] == 41
    twin = httpx.post(f"{base}/api/sessions/load", content=ck, headers=OCTET).json()
    b = httpx.post(f"{base}/api/sessions/{twin['id']}/step", json={"n": 1}, headers=auth(twin)).json()
    a_ck = httpx.get(f"{url}/checkpoint", headers=auth(s)).content
    b_ck = httpx.get(f"{base}/api/sessions/{twin['id']}/checkpoint", headers=auth(twin)).content
    assert b["iteration"] == 41 and same_state(a_ck, b_ck)  # the restored step is the checkpoint's
    report = httpx.get(f"{base}/api/cluster").json()["restores"][-1]
    assert report["worker"] == victim["worker"] and report["restored"] >= 1 and restore_s < 30
    for h in (s, twin):
        httpx.delete(f"{base}/api/sessions/{h['id']}", headers=auth(h))


def test_a_session_with_nothing_checkpointed_ends_with_the_reason(cluster):
    base = cluster
    assert wait_for(lambda: sum(w["alive"] for w in workers(base)) >= 2, 60)  # the replacement is up
    s = create(base, dataset="gaussians", seed=2)  # untouched: nothing to checkpoint yet
    victim = holder(base, s["id"])
    with Client(ws_url(base, s)) as c:
        c.pump(0.3)
        os.kill(victim["pid"], signal.SIGKILL)
        with pytest.raises(ConnectionClosed) as closed:  # told why, then closed as for any end
            c.wait_message(lambda m: False, timeout=30)
    assert closed.value.rcvd.code == 4404
    ended = next(m for m in c.messages if m.get("type") == "ended")
    assert "was lost" in ended["detail"] and "no checkpoint" in ended["detail"]
    assert httpx.get(f"{base}/api/sessions/{s['id']}").status_code == 404


def test_compare_mode_links_sessions_held_by_different_workers(cluster):
    base = cluster
    assert wait_for(lambda: sum(w["alive"] for w in workers(base)) >= 2, 60)  # a replacement is up
    a, extra = create(base, dataset="ring8", seed=5), []
    while True:  # placement fills the least loaded worker: soon one lands apart from A
        b = create(base, dataset="ring8", seed=5)
        if holder(base, a["id"])["worker"] != holder(base, b["id"])["worker"]:
            break
        extra.append(b)
        assert len(extra) < 6, "every session went to A's worker"
    r = httpx.post(f"{base}/api/sessions/{a['id']}/link", headers=auth(a),
                   json={"follower": b["id"], "follower_token": b["token"]})
    assert r.status_code == 200, r.text
    assert holder(base, a["id"])["worker"] == holder(base, b["id"])["worker"]  # B moved to A's worker
    httpx.post(f"{base}/api/sessions/{a['id']}/step", json={"n": 25}, headers=auth(a))
    got = [httpx.get(f"{base}/api/sessions/{x['id']}").json() for x in (a, b)]
    assert [g["iteration"] for g in got] == [25, 25] and got[0]["follower"] == b["id"]
    for x in (a, b, *extra):  # B's token still controls it after the move
        assert httpx.delete(f"{base}/api/sessions/{x['id']}", headers=auth(x)).status_code == 204


def test_the_idle_reaper_pauses_a_session_nobody_watches(make_server):
    base = make_server("--workers", "1", GANDOJO_IDLE_PAUSE_S=2)
    s = create(base, dataset="gaussians", seed=3)
    assert httpx.post(f"{base}/api/sessions/{s['id']}/play", headers=auth(s)).status_code == 200
    # no socket and no call (a read would tell the gateway that it runs): the reaper must find out
    time.sleep(6)
    info = httpx.get(f"{base}/api/sessions/{s['id']}").json()
    assert not info["running"] and "nobody watched" in info["paused_reason"] and info["iteration"] > 0
