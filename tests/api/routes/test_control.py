"""Session control over a real server: step parts, seeds, play/pause/reset, live config, presets
and knobs, DRS, lockstep links; play to an iteration exactly (`until`) over REST and the websocket."""

from __future__ import annotations

import time

import httpx
import pytest

from servers import wait_for

from ..helpers import Client, auth, create, ws_url


def url(server, s, path=""):
    return f"{server}/api/sessions/{s['id']}{path}"


def info(base, s):
    return httpx.get(f"{base}/api/sessions/{s['id']}", timeout=10).json()


def test_step_d_and_g_change_only_that_loss(server):
    s = create(server, seed=1)
    url = f"{server}/api/sessions/{s['id']}"
    first = httpx.post(f"{url}/step", json={"n": 3}, headers=auth(s)).json()
    assert first["iteration"] == 3
    d = httpx.post(f"{url}/step", json={"n": 1, "part": "d"}, headers=auth(s)).json()
    assert d["losses"]["g"] == first["losses"]["g"] and d["losses"]["d"] != first["losses"]["d"]
    g = httpx.post(f"{url}/step", json={"n": 1, "part": "g"}, headers=auth(s)).json()
    assert g["losses"]["d"] == d["losses"]["d"] and g["losses"]["g"] != d["losses"]["g"]
    assert g["iteration"] == 5


def test_same_seed_same_trajectory_over_rest(server):
    a, b = create(server, seed=9), create(server, seed=9)
    ra = httpx.post(f"{server}/api/sessions/{a['id']}/step", json={"n": 50}, headers=auth(a)).json()
    rb = httpx.post(f"{server}/api/sessions/{b['id']}/step", json={"n": 50}, headers=auth(b)).json()
    assert ra == rb


def test_play_pause_reset_delete(server):
    s = create(server)
    url, h = f"{server}/api/sessions/{s['id']}", auth(s)
    assert httpx.post(f"{url}/play", headers=h).json()["running"] is True
    assert httpx.post(f"{url}/pause", headers=h).json()["running"] is False
    it = httpx.get(url).json()["iteration"]
    assert it > 0
    r = httpx.post(f"{url}/reset", json={"dataset": "ring", "seed": 5}, headers=h).json()
    assert r["iteration"] == 0 and r["dataset"] == "ring" and r["seed"] == 5
    assert httpx.delete(url, headers=h).status_code == 204
    assert httpx.get(url).status_code == 404


def test_patch_config_live_and_rebuild(server):
    s = create(server)
    url, h = f"{server}/api/sessions/{s['id']}", auth(s)
    httpx.post(f"{url}/step", json={"n": 2}, headers=h)
    r = httpx.patch(f"{url}/config", json={"discriminator": {"lr": 0.2}, "loss": "lsgan"}, headers=h)
    assert r.status_code == 200 and r.json()["rebuilt"] is False
    assert httpx.get(url).json()["iteration"] == 2
    r = httpx.patch(f"{url}/config", json={"generator": {"hidden_layers": 2}}, headers=h).json()
    assert r["rebuilt"] is True and httpx.get(url).json()["iteration"] == 0


def test_bad_step_and_patch_bodies(server):
    s = create(server)
    url, h = f"{server}/api/sessions/{s['id']}", auth(s)
    for body in ({"n": 0}, {"n": 10001}, {"part": "x"}, {"n": "many"}):
        assert httpx.post(f"{url}/step", json=body, headers=h).status_code == 422
    r = httpx.patch(f"{url}/config", json={"k_d": 101}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "k_d"]
    assert httpx.patch(f"{url}/config", content=b"{not json", headers=h).status_code == 422
    assert httpx.get(url).json()["config"]["k_d"] == 2


def test_presets_knobs_and_pretrained(server):
    body = httpx.get(f"{server}/api/presets").json()
    names = {p["name"]: p for p in body["presets"]}
    provocation = next(p for p in body["presets"] if p["kind"] == "provocation")
    assert provocation["explanation"] and provocation["datasets"]
    assert {k["name"] for k in body["knobs"]} >= {"d-lr-x10", "kd-plus-1", "noise-dim-1"}
    s = create(server, dataset="gaussians", seed=3)
    u, h = f"{server}/api/sessions/{s['id']}", auth(s)
    httpx.post(f"{u}/step", json={"n": 3}, headers=h)
    r = httpx.post(f"{u}/preset", json={"name": provocation["name"]}, headers=h).json()
    assert r["dataset"] == provocation["datasets"][0] and r["iteration"] == 0
    assert r["config"] == names[provocation["name"]]["config"]
    lr = r["config"]["discriminator"]["lr"]
    k = httpx.post(f"{u}/knob", json={"name": "d-lr-x10"}, headers=h).json()
    assert k["config"]["discriminator"]["lr"] == pytest.approx(min(10.0, lr * 10))
    assert httpx.post(f"{u}/knob", json={"name": "nope"}, headers=h).status_code == 422
    # on/off knobs: the session says which are on (the page marks them from this, no copy of its own)
    toggles = {k["name"] for k in body["knobs"] if k["toggle"]}
    assert set(httpx.get(u).json()["knobs"]) == toggles and not httpx.get(u).json()["knobs"]["r1"]
    on = httpx.post(f"{u}/knob", json={"name": "r1"}, headers=h).json()
    assert on["knobs"]["r1"] is True and on["config"]["r1_weight"] > 0
    assert httpx.get(u).json()["knobs"]["r1"] is True
    off = httpx.post(f"{u}/knob", json={"name": "r1"}, headers=h).json()
    assert off["knobs"]["r1"] is False and off["config"]["r1_weight"] == 0
    for ds in body["pretrained"]:
        p = httpx.post(f"{server}/api/sessions", json={"dataset": ds, "pretrained": True})
        assert p.status_code == 201 and p.json()["iteration"] > 0
    assert "ring8" in body["pretrained"]
    bad = httpx.post(f"{server}/api/sessions", json={"pretrained": True, "config": {"k_d": 1}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "pretrained"]


def test_drs_reports_acceptance_and_metrics_after(server):
    s = create(server, dataset="ring8", seed=2)
    httpx.post(url(server, s, "/step"), json={"n": 50}, headers=auth(s))
    assert httpx.post(url(server, s, "/drs"), json={"on": True, "percentile": 80}, headers=auth(s)).status_code == 200
    snap = httpx.get(url(server, s, "/snapshot")).json()
    drs = snap["drs"]
    assert drs["on"] and 0 < drs["acceptance"] <= 1 and drs["percentile"] == 80
    assert "modes_captured" in drs["metrics_after"]
    assert len(snap["drs_mask"]) == len(snap["fake"])
    assert httpx.post(url(server, s, "/drs"), json={"on": True, "percentile": 100}, headers=auth(s)).status_code == 422


def test_lockstep_compare_same_seed_different_losses(server):
    a = create(server, dataset="ring8", seed=5, config={"loss": "minimax"})
    b = create(server, dataset="ring8", seed=99, config={"loss": "nonsaturating"})
    r = httpx.post(url(server, a, "/link"), json={"follower": b["id"], "follower_token": b["token"]},
                   headers=auth(a))
    assert r.status_code == 200 and r.json()["follower"] == b["id"]
    assert httpx.get(url(server, b)).json()["seed"] == 5
    httpx.post(url(server, a, "/play"), headers=auth(a))
    time.sleep(1.0)
    httpx.post(url(server, a, "/pause"), headers=auth(a))
    ia, ib = httpx.get(url(server, a)).json()["iteration"], httpx.get(url(server, b)).json()["iteration"]
    assert ia > 10 and ia == ib
    bad = httpx.post(url(server, a, "/link"), json={"follower": b["id"], "follower_token": "x"}, headers=auth(a))
    assert bad.status_code == 403
    assert httpx.delete(url(server, a, "/link"), headers=auth(a)).json()["follower"] is None


def test_steps_reach_the_follower_part_by_part(server):
    a, b = create(server, seed=5), create(server, seed=6)
    httpx.post(url(server, a, "/link"), json={"follower": b["id"], "follower_token": b["token"]},
               headers=auth(a))
    ra = httpx.post(url(server, a, "/step"), json={"n": 3, "part": "d"}, headers=auth(a)).json()
    rb = httpx.get(url(server, b)).json()
    assert ra["iteration"] == rb["iteration"] == 3
    snap_b = httpx.get(url(server, b, "/snapshot")).json()
    assert snap_b["losses"]["g"] is None and snap_b["losses"]["d"] is not None  # D-only steps


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
