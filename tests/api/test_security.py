"""Security over a real server: viewer tokens, session isolation, websocket Origin, body size, --auth."""

from __future__ import annotations

import base64

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from .helpers import Client, auth, create, ws_url

PASSWORD = "correct horse battery staple"
OTHER_ORIGIN = "http://class.example.org"
# every REST call that changes a session: (method, path tail, JSON body)
MUTATIONS = [
    ("POST", "/step", {"n": 1}), ("POST", "/play", None), ("POST", "/pause", None),
    ("POST", "/reset", {}), ("PATCH", "/config", {"generator": {"lr": 0.5}}),
    ("POST", "/preset", {"name": "gaussians-balanced"}), ("POST", "/drs", {"on": True}),
    ("PUT", "/points", {"points": [[0.5, 0.5]]}), ("DELETE", "", None),
]
WS_CONTROLS = [{"cmd": "play"}, {"cmd": "pause"}, {"cmd": "step", "n": 1},
               {"cmd": "config", "config": {"batch_size": 20}}, {"cmd": "reset"},
               {"cmd": "speed", "iterations_per_frame": 5}, {"cmd": "slowmo", "on": True}]


def call(base: str, s: dict, method: str, tail: str, body, token: str | None, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{base}/api/sessions/{s['id']}{tail}", json=body,
                         headers=headers, timeout=10, **kw)


def test_creation_returns_an_unguessable_viewer_token_and_link(server):
    a, b = create(server), create(server)
    assert len(a["viewer_token"]) >= 32 and a["viewer_token"] not in (a["token"], b["viewer_token"])
    assert a["viewer_url"] == f"/?session={a['id']}&view={a['viewer_token']}"
    assert "viewer_token" not in httpx.get(f"{server}/api/sessions/{a['id']}").json()


@pytest.mark.parametrize("method,tail,body", MUTATIONS)
def test_viewer_token_cannot_change_the_session(server, method, tail, body):
    s = create(server)
    r = call(server, s, method, tail, body, s["viewer_token"])
    assert r.status_code == 403 and "viewer token" in r.json()["detail"]
    info = httpx.get(f"{server}/api/sessions/{s['id']}").json()
    assert info["iteration"] == 0 and not info["running"] and info["dataset"] == "gaussians"
    assert info["config"]["generator"]["lr"] == s["config"]["generator"]["lr"]


@pytest.mark.parametrize("method,tail,body", MUTATIONS)
def test_token_of_a_cannot_touch_b(server, method, tail, body):
    a, b = create(server), create(server)
    for token in (a["token"], a["viewer_token"]):
        r = call(server, b, method, tail, body, token)
        assert r.status_code == 403, (token, r.text)
    assert httpx.get(f"{server}/api/sessions/{b['id']}").json()["iteration"] == 0


def test_token_of_a_opens_no_socket_on_b(server):
    a, b = create(server), create(server)
    for token in (a["token"], a["viewer_token"]):
        with pytest.raises(InvalidStatus) as err:
            Client(ws_url(server, b, token)).__enter__()
        assert err.value.response.status_code == 403


def test_viewer_socket_sees_frames_and_is_refused_control(server):
    s = create(server)
    with Client(ws_url(server, s)) as presenter, Client(ws_url(server, s, s["viewer_token"])) as viewer:
        hello = viewer.wait_message(lambda m: m["type"] == "hello")
        assert hello["writable"] is False and hello["role"] == "viewer"
        presenter.send(cmd="play")
        presenter.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "play")
        for cmd in WS_CONTROLS:
            viewer.send(**cmd)
            err = viewer.wait_message(lambda m, c=cmd["cmd"]: m["type"] == "error"
                                      and f"'{c}' refused" in m["detail"])
            assert err["field"] == "token"
        before = len(viewer.frames)
        viewer.pump(1.0)  # the socket is alive and frames keep arriving
        assert len(viewer.frames) > before + 3
        its = [f.header["iteration"] for f in viewer.frames]
        assert its[-1] > its[before] and its == sorted(its)
        viewer.send(cmd="snapshot")  # reading is allowed
        viewer.pump(0.3)
        assert not [m for m in viewer.messages if m["type"] == "error" and "snapshot" in m["detail"]]
        presenter.send(cmd="pause")
        presenter.wait_message(lambda m: m["type"] == "ack" and m["cmd"] == "pause")
    info = httpx.get(f"{server}/api/sessions/{s['id']}").json()
    assert info["running"] is False and info["config"]["batch_size"] == s["config"]["batch_size"]
    assert info["stage_ms"] == 800 and info["slowmo"] is False


def test_presenter_sees_the_viewer_count(server):
    s = create(server)
    with Client(ws_url(server, s)) as presenter:
        assert presenter.wait_message(lambda m: m["type"] == "hello")["viewers"] == 0
        assert presenter.wait_message(lambda m: m["type"] == "viewers")["count"] == 0  # so far
        with Client(ws_url(server, s, s["viewer_token"])):
            presenter.wait_message(lambda m: m["type"] == "viewers" and m["count"] == 1)
            assert httpx.get(f"{server}/api/sessions/{s['id']}").json()["viewers"] == 1
            with Client(ws_url(server, s, None)):  # a socket without a token watches too
                presenter.wait_message(lambda m: m["type"] == "viewers" and m["count"] == 2)
            presenter.wait_message(lambda m: m["type"] == "viewers" and m["count"] == 1)
        presenter.wait_message(lambda m: m["type"] == "viewers" and m["count"] == 0)
    assert httpx.get(f"{server}/api/sessions/{s['id']}").json()["viewers"] == 0


def test_foreign_origin_is_refused_same_origin_and_none_accepted(server):
    s = create(server)
    with pytest.raises(InvalidStatus) as err:
        Client(ws_url(server, s), origin="http://evil.example.com").__enter__()
    assert err.value.response.status_code == 403
    assert b"Origin" in err.value.response.body
    for origin in (server, None):  # the page's own origin; a script without an Origin header
        with Client(ws_url(server, s), origin=origin) as c:
            assert c.wait_message(lambda m: m["type"] == "hello")["writable"] is True


def test_configured_origin_is_accepted(make_server):
    base = make_server("--allowed-origin", OTHER_ORIGIN)
    s = create(base)
    with Client(ws_url(base, s), origin=OTHER_ORIGIN) as c:
        c.wait_message(lambda m: m["type"] == "hello")
    with pytest.raises(InvalidStatus) as err:
        Client(ws_url(base, s), origin="http://evil.example.com").__enter__()
    assert err.value.response.status_code == 403


def test_oversized_body_is_refused_with_413(server):
    big = b'{"dataset": "gaussians", "config": {"x": "' + b"a" * (1024 * 1024) + b'"}}'
    r = httpx.post(f"{server}/api/sessions", content=big, timeout=10,
                   headers={"content-type": "application/json"})
    assert r.status_code == 413 and "max_body_bytes" in r.json()["detail"]
    s = create(server)  # without Content-Length (chunked): counted as it arrives
    r = httpx.patch(f"{server}/api/sessions/{s['id']}/config", content=iter([big[:600_000], big[600_000:]]),
                    headers={**auth(s), "content-type": "application/json"}, timeout=10)
    assert r.status_code == 413 and "1,048,576" in r.json()["detail"]
    ok = httpx.patch(f"{server}/api/sessions/{s['id']}/config", json={"k_d": 3}, headers=auth(s), timeout=10)
    assert ok.status_code == 200 and ok.json()["config"]["k_d"] == 3


@pytest.fixture(scope="module")
def locked(make_server) -> str:
    return make_server("--auth", PASSWORD)


def basic(password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"me:{password}".encode()).decode()}


def test_auth_without_credentials_is_refused(locked):
    assert httpx.get(f"{locked}/api/health").status_code == 200  # open: the login needs it
    for method, path in (("GET", "/api/datasets"), ("POST", "/api/sessions"), ("GET", "/openapi.json")):
        r = httpx.request(method, locked + path, json={} if method == "POST" else None)
        assert r.status_code == 401 and "password" in r.json()["detail"], path
    assert httpx.get(f"{locked}/api/datasets", headers=basic("wrong")).status_code == 401
    page = httpx.get(f"{locked}/", headers={"Accept": "text/html"})  # a browser goes to the form
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert httpx.get(f"{locked}/login").status_code == 200
    s = httpx.post(f"{locked}/api/sessions", json={}, headers=basic(PASSWORD), timeout=30).json()
    with pytest.raises(InvalidStatus) as err:
        Client(ws_url(locked, s)).__enter__()
    assert err.value.response.status_code == 401


def test_auth_basic_credentials_work_for_rest_and_websocket(locked):
    r = httpx.post(f"{locked}/api/sessions", json={}, headers=basic(PASSWORD))
    assert r.status_code == 201
    s = r.json()
    with Client(ws_url(locked, s), additional_headers=basic(PASSWORD)) as c:
        c.send(cmd="step", n=2)
        assert c.wait_message(lambda m: m["type"] == "ack")["iteration"] == 2


def test_auth_login_cookie_works_for_rest_and_websocket(locked):
    with httpx.Client(base_url=locked) as client:
        wrong = client.post("/login", data={"password": "nope"})
        assert wrong.status_code == 401 and "gandojo_auth" not in client.cookies
        r = client.post("/login", data={"password": PASSWORD, "next": "/?seed=3"})
        assert r.status_code == 303 and r.headers["location"] == "/?seed=3"
        cookie = client.cookies["gandojo_auth"]
        assert PASSWORD not in cookie
        s = client.post("/api/sessions", json={}).json()
        stepped = client.post(f"/api/sessions/{s['id']}/step", json={"n": 3}, headers=auth(s))
        assert stepped.json()["iteration"] == 3
        assert client.get("/").status_code == 200
    with Client(ws_url(locked, s), additional_headers={"Cookie": f"gandojo_auth={cookie}"}) as c:
        assert c.wait_message(lambda m: m["type"] == "hello")["iteration"] == 3


def test_login_redirects_only_within_the_site(locked):
    for target in ("//evil.example.com/x", "https://evil.example.com/", "/\\evil.example.com"):
        r = httpx.post(f"{locked}/login", data={"password": PASSWORD, "next": target})
        assert r.status_code == 303 and r.headers["location"] == "/", target
