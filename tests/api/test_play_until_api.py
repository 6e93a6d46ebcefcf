"""Play to an iteration exactly over REST (`POST .../play {"until": N}`) and the websocket
(`{"cmd":"play","until":N}`); bad values are 422s / errors naming `until`; a joining socket gets
the run's metric history."""

from __future__ import annotations

import httpx

from servers import wait_for

from .helpers import Client, auth, create, ws_url


def info(base, s):
    return httpx.get(f"{base}/api/sessions/{s['id']}", timeout=10).json()


def test_rest_play_until_stops_at_exactly_n(server):
    s = create(server, dataset="ring", config={"batch_size": 32})
    r = httpx.post(f"{server}/api/sessions/{s['id']}/play", json={"until": 321}, headers=auth(s), timeout=10)
    assert r.status_code == 200 and r.json()["until"] == 321
    assert wait_for(lambda: not info(server, s)["running"], 30)
    assert info(server, s)["iteration"] == 321
    for bad in (0, 321, -5, "x", 10**9):
        r = httpx.post(f"{server}/api/sessions/{s['id']}/play", json={"until": bad}, headers=auth(s), timeout=10)
        assert r.status_code == 422 and "until" in r.text, (bad, r.text)
    assert httpx.post(f"{server}/api/sessions/{s['id']}/play", headers=auth(s), timeout=10).status_code == 200  # no body: plays on
    httpx.post(f"{server}/api/sessions/{s['id']}/pause", headers=auth(s), timeout=10)


def test_websocket_play_until_and_history_for_a_joining_socket(server):
    s = create(server, dataset="gaussians", config={"batch_size": 32})
    with Client(ws_url(server, s)) as c:
        c.send(cmd="play", until=150)
        c.wait_message(lambda m: m.get("type") == "state" and m.get("running") is False and m.get("iteration") == 150, 30)
        c.send(cmd="play", until=150)
        err = c.wait_message(lambda m: m.get("type") == "error")
        assert err["field"] == "until"
    with Client(ws_url(server, s, token=None)) as viewer:  # joins later: gets the run so far
        hist = viewer.wait_message(lambda m: m.get("type") == "history")
    assert hist["iteration"][0] <= 1 and hist["iteration"][-1] == 150
    assert len(hist["losses"]["d"]) == len(hist["iteration"]) == len(hist["metrics"]["kl"])
