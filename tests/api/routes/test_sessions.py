"""Sessions as a resource over a real server: creation (bounds named), tokens, 404s, checkpoints."""

from __future__ import annotations

import httpx
import pytest

from ..helpers import auth, create


def url(server, s, path=""):
    return f"{server}/api/sessions/{s['id']}{path}"


def test_create_resolves_the_full_config(server):
    s = create(server, dataset="ring8", seed=4, config={"generator": {"neurons": 16}})
    assert s["id"] and len(s["token"]) >= 24 and s["dataset"] == "ring8" and s["seed"] == 4
    assert s["config"]["generator"]["neurons"] == 16 and s["config"]["discriminator"]["lr"] == 0.1
    got = httpx.get(f"{server}/api/sessions/{s['id']}").json()
    assert got["iteration"] == 0 and got["running"] is False and got["config"] == s["config"]


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


def test_checkpoint_download_and_load_resumes_exactly(server):
    a = create(server, dataset="disjoint", seed=8, config={"generator": {"optimizer": "adam"}})
    httpx.post(url(server, a, "/step"), json={"n": 25}, headers=auth(a))
    ck = httpx.get(url(server, a, "/checkpoint"))
    assert ck.status_code == 200 and "safetensors" in ck.headers["content-disposition"]
    r = httpx.post(f"{server}/api/sessions/load", content=ck.content,
                   headers={"content-type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["iteration"] == 25 and b["dataset"] == "disjoint" and b["id"] != a["id"]
    ra = httpx.post(url(server, a, "/step"), json={"n": 5}, headers=auth(a)).json()
    rb = httpx.post(url(server, b, "/step"), json={"n": 5}, headers=auth(b)).json()
    assert ra == rb


def test_loading_garbage_is_422(server):
    for junk in (b"", b"hello", b"\x08" + b"\0" * 7 + b"{}{}{}{}"):
        r = httpx.post(f"{server}/api/sessions/load", content=junk)
        assert r.status_code == 422, r.text
