"""REST against a real uvicorn server: lifecycle, step parts, snapshots, auth, validation."""

import httpx
import pytest

from .helpers import auth, create


def test_health_datasets_presets(server):
    h = httpx.get(f"{server}/api/health").json()
    assert h["status"] == "ok" and h["device"] == "cpu" and h["version"]
    names = [d["name"] for d in httpx.get(f"{server}/api/datasets").json()["datasets"]]
    assert names == ["gaussians", "line", "ring", "disjoint", "ring8", "grid25"]
    assert httpx.get(f"{server}/api/presets").json()["presets"]


def test_create_resolves_the_full_config(server):
    s = create(server, dataset="ring8", seed=4, config={"generator": {"neurons": 16}})
    assert s["id"] and len(s["token"]) >= 24 and s["dataset"] == "ring8" and s["seed"] == 4
    assert s["config"]["generator"]["neurons"] == 16 and s["config"]["discriminator"]["lr"] == 0.1
    got = httpx.get(f"{server}/api/sessions/{s['id']}").json()
    assert got["iteration"] == 0 and got["running"] is False and got["config"] == s["config"]


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


def test_snapshot_json_and_png(server):
    s = create(server, dataset="disjoint", seed=2)
    httpx.post(f"{server}/api/sessions/{s['id']}/step", json={"n": 10}, headers=auth(s))
    snap = httpx.get(f"{server}/api/sessions/{s['id']}/snapshot").json()
    assert snap["iteration"] == 10
    assert len(snap["real"]) >= 500 and len(snap["fake"]) >= 500
    assert len(snap["gradients"]) == len(snap["fake"]) and len(snap["real"][0]) == 2
    assert snap["heatmap"]["x"] == [0.0, 1.0] and len(snap["heatmap"]["values"]) == 64
    m = snap["metrics"]
    for key in ("kl", "js", "modes_captured", "modes_total", "high_quality", "d_real_acc", "d_fake_acc"):
        assert key in m
    assert m["modes_total"] == 3
    png = httpx.get(f"{server}/api/sessions/{s['id']}/snapshot.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


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


def test_auth(server):
    s = create(server)
    url = f"{server}/api/sessions/{s['id']}/step"
    assert httpx.post(url, json={"n": 1}).status_code == 401
    assert httpx.post(url, json={"n": 1}, headers={"Authorization": "Bearer nope"}).status_code == 403
    other = create(server)
    assert httpx.post(url, json={"n": 1}, headers=auth(other)).status_code == 403
    assert httpx.get(f"{server}/api/sessions/{s['id']}").json()["iteration"] == 0


def test_unknown_session_is_404(server):
    assert httpx.get(f"{server}/api/sessions/nope").status_code == 404
    assert httpx.get(f"{server}/api/sessions/nope/snapshot").status_code == 404
    assert httpx.post(f"{server}/api/sessions/nope/play", headers={"Authorization": "Bearer x"}).status_code == 404


@pytest.mark.parametrize("body,field,bound", [
    ({"config": {"generator": {"neurons": 257}}}, ["body", "config", "generator", "neurons"], "256"),
    ({"config": {"batch_size": 0}}, ["body", "config", "batch_size"], "1"),
    ({"config": {"noise": {"dim": 17}}}, ["body", "config", "noise", "dim"], "16"),
    ({"config": {"discriminator": {"lr": -1}}}, ["body", "config", "discriminator", "lr"], "0"),
    ({"config": {"heatmap_resolution": 512}}, ["body", "config", "heatmap_resolution"], "256"),
    ({"config": {"loss": "magic"}}, ["body", "config", "loss"], "minimax"),
    ({"config": {"bogus": 1}}, ["body", "config", "bogus"], "not permitted"),
    ({"dataset": "moons"}, ["body", "dataset"], "ring8"),
    ({"seed": -1}, ["body", "seed"], "0"),
    ({"preset": "nope"}, ["body", "preset"], "ganlab-default"),
])
def test_bad_input_is_422_naming_field_and_bound(server, body, field, bound):
    r = httpx.post(f"{server}/api/sessions", json=body)
    assert r.status_code == 422, r.text
    err = r.json()["detail"][0]
    assert err["loc"] == field and bound in err["msg"]


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
    for ds in body["pretrained"]:
        p = httpx.post(f"{server}/api/sessions", json={"dataset": ds, "pretrained": True})
        assert p.status_code == 201 and p.json()["iteration"] > 0
    assert "ring8" in body["pretrained"]
    bad = httpx.post(f"{server}/api/sessions", json={"pretrained": True, "config": {"k_d": 1}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "pretrained"]
