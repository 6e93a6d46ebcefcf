"""Exhaustion and abuse over real servers with small configured limits: sessions per client
address, reads that do not keep a session alive, bodies refused before they are read, a cap on
concurrent uploads, --auth throttling and cookies, Origin and Host checks, 405 under /api."""

from __future__ import annotations

import socket
import time
from functools import partial
from urllib.parse import urlsplit

import httpx
import pytest

from .helpers import Client, auth, ws_url

PASSWORD = "hunter2 but longer"
post, get, delete, put = (partial(getattr(httpx, m), timeout=30) for m in ("post", "get", "delete", "put"))
TINY = {"batch_size": 8, "heatmap_resolution": 8}


def from_addr(addr: str) -> dict:
    """Requests as if from client `addr` (uvicorn trusts X-Forwarded-For from 127.0.0.1 only)."""
    return {"X-Forwarded-For": addr}


def raw_request(base: str, head: str, body: bytes = b"") -> socket.socket:
    """A request sent over a raw socket, its body possibly incomplete (the socket is returned)."""
    u = urlsplit(base)
    sock = socket.create_connection((u.hostname, u.port), timeout=10)
    sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    return sock


def status_of(sock: socket.socket, timeout: float = 15.0) -> tuple[int, str]:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode()
    return int(head.split()[1]), head


@pytest.fixture(scope="module")
def small(make_server) -> str:
    return make_server(GANDOJO_MAX_SESSIONS=10, GANDOJO_MAX_SESSIONS_PER_CLIENT=3,
                       GANDOJO_MAX_UPLOADS=2)


def test_sessions_per_client_address_are_limited_with_429_and_retry_after(small):
    made = []
    try:
        for _ in range(3):
            r = post(f"{small}/api/sessions", json={"config": TINY}, headers=from_addr("10.0.0.1"))
            assert r.status_code == 201, r.text
            made.append(r.json())
        r = post(f"{small}/api/sessions", json={"config": TINY}, headers=from_addr("10.0.0.1"))
        assert r.status_code == 429 and "max_sessions_per_client" in r.json()["detail"]
        assert int(r.headers["Retry-After"]) > 0
        other = post(f"{small}/api/sessions", json={"config": TINY}, headers=from_addr("10.0.0.2"))
        assert other.status_code == 201  # another student is not affected
        made.append(other.json())
        delete(f"{small}/api/sessions/{made[0]['id']}", headers=auth(made[0]))
        made.pop(0)
        again = post(f"{small}/api/sessions", json={"config": TINY}, headers=from_addr("10.0.0.1"))
        assert again.status_code == 201  # ending one makes room
        made.append(again.json())
    finally:
        for s in made:
            delete(f"{small}/api/sessions/{s['id']}", headers=auth(s))


def test_a_declared_oversize_body_is_refused_before_it_is_sent(small):
    """A large body declared, 100 bytes sent: the answer comes at once (nothing waits for or
    buffers the rest), whatever the path or content type: over the route's limit 413, a path
    that does not exist 404 without reading the body."""
    big, fits = 60 * 1024 * 1024, 900_000
    cases = [("POST /no/such/path", big, 413), ("POST /api/no/such/path", fits, 404), ("POST /no/such/page", fits, 405),
             ("PUT /api/no/such/upload", fits, 404),
             ("POST /api/sessions", big, 413), ("POST /api/sessions/load", 100 * 1024 * 1024, 413)]
    for line, size, want in cases:
        sock = raw_request(small, f"{line} HTTP/1.1\nHost: x\nContent-Type: application/octet-stream\n"
                                  f"Content-Length: {size}\n", b"x" * 100)
        try:
            status, head = status_of(sock)
        finally:
            sock.close()
        assert status == want, (line, head)
    r = put(f"{small}/api/sessions/abc/points.csv", content=b"1,2\n" * 300_000)  # 1.2 MB
    assert r.status_code == 413 and "CSV" in r.json()["detail"]


def test_concurrent_uploads_are_capped_with_429_and_retry_after(small):
    head = "POST /api/sessions/load HTTP/1.1\nHost: x\nContent-Type: application/octet-stream\n" \
           "Content-Length: 1000000\n"
    held = [raw_request(small, head, b"\0" * 1000) for _ in range(2)]  # two slow uploads
    try:
        time.sleep(0.5)
        r = post(f"{small}/api/sessions/load", content=b"junk")
        assert r.status_code == 429 and "max_uploads" in r.json()["detail"]
        assert int(r.headers["Retry-After"]) > 0
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while (r := post(f"{small}/api/sessions/load", content=b"junk")).status_code == 429:
        assert time.monotonic() < deadline, "the upload slots were never given back"
        time.sleep(0.2)
    assert r.status_code == 422  # a slot again: the junk itself is refused


def test_reads_do_not_keep_a_session_alive(make_server):
    base = make_server(GANDOJO_IDLE_PAUSE_S=1, GANDOJO_IDLE_TIMEOUT_S=3)
    read = post(f"{base}/api/sessions", json={"config": TINY}).json()
    used = post(f"{base}/api/sessions", json={"config": TINY}).json()
    end = time.monotonic() + 12
    while time.monotonic() < end:
        if get(f"{base}/api/sessions/{read['id']}").status_code == 404:
            break
        get(f"{base}/api/sessions/{read['id']}/snapshot")
        post(f"{base}/api/sessions/{used['id']}/step", json={"n": 1}, headers=auth(used))
        time.sleep(0.3)
    assert get(f"{base}/api/sessions/{read['id']}").status_code == 404  # reaped
    assert get(f"{base}/api/sessions/{used['id']}").status_code == 200  # calls keep it


@pytest.fixture(scope="module")
def locked(make_server) -> str:
    return make_server("--auth", PASSWORD)


def test_wrong_passwords_are_throttled_per_address(locked):
    me, other = from_addr("10.1.0.1"), from_addr("10.1.0.2")
    for _ in range(5):
        assert post(f"{locked}/login", data={"password": "guess"}, headers=me).status_code == 401
    r = post(f"{locked}/login", data={"password": PASSWORD}, headers=me)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # even the right one waits
    basic = get(f"{locked}/api/datasets", auth=("x", PASSWORD), headers=me)
    assert basic.status_code == 429
    ok = post(f"{locked}/login", data={"password": PASSWORD}, headers=other)
    assert ok.status_code == 303  # another address is not affected
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    assert post(f"{locked}/login", data={"password": PASSWORD}, headers=me).status_code == 303
    for _ in range(6):  # Basic credentials count as tries too
        last = get(f"{locked}/api/datasets", auth=("x", "guess"), headers=from_addr("10.1.0.3"))
    assert last.status_code == 429 and "Retry-After" in last.headers


def login_cookie(base: str) -> str:
    r = post(f"{base}/login", data={"password": PASSWORD})
    assert r.status_code == 303
    return r.cookies["gandojo_auth"]


def test_the_login_cookie_is_signed_expires_and_ends_with_logout(locked, make_server):
    cookie = login_cookie(locked)
    expiry, _, sig = cookie.partition(".")
    assert expiry.isdigit() and 11 * 3600 < int(expiry) - time.time() <= 12 * 3600 and len(sig) == 64
    def status(c: str) -> int:
        return get(f"{locked}/api/datasets", cookies={"gandojo_auth": c}).status_code
    assert status(cookie) == 200
    assert status(f"{int(expiry) + 3600}.{sig}") == 401  # a longer life cannot be forged
    assert status(f"{int(time.time()) - 10}.{sig}") == 401
    restarted = make_server("--auth", PASSWORD)  # another start: another secret
    assert get(f"{restarted}/api/datasets", cookies={"gandojo_auth": cookie}).status_code == 401
    out = post(f"{locked}/logout", cookies={"gandojo_auth": cookie})
    assert out.status_code == 303 and 'gandojo_auth=""' in out.headers["set-cookie"]
    assert status(cookie) == 401  # that login is over, even if the cookie was kept
    assert status(login_cookie(locked)) == 200


def handshake(base: str, path: str, host: str, origin: str) -> int:
    """The status of a websocket handshake sent with exactly this Host and Origin."""
    sock = raw_request(base, f"GET {path} HTTP/1.1\nHost: {host}\nOrigin: {origin}\n"
                             "Upgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Version: 13\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n")
    try:
        return status_of(sock)[0]
    finally:
        sock.close()


def test_a_host_header_alone_does_not_make_an_origin_trusted(server):
    s = post(f"{server}/api/sessions", json={"config": TINY}).json()
    port, path = urlsplit(server).port, f"/ws/sessions/{s['id']}?token={s['token']}"
    evil = f"evil.example:{port}"  # DNS rebinding: the attacker's name points at this server
    assert handshake(server, path, evil, f"http://{evil}") == 403
    r = post(f"{server}/api/sessions", json={}, headers={"Origin": f"http://{evil}", "Host": evil})
    assert r.status_code == 403
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):  # the page's own origins work
        assert handshake(server, path, host, f"http://{host}") == 101
    with Client(ws_url(server, s), origin=server) as c:
        c.wait_message(lambda m: m["type"] == "hello")


def test_a_cross_site_post_cannot_create_a_session(server):
    before = get(f"{server}/api/sessions").json()["count"]
    for body in (None, b"{}"):
        r = post(f"{server}/api/sessions", content=body,
                       headers={"Origin": "http://class-forum.example", "Content-Type": "text/plain"})
        assert r.status_code == 403 and "Origin" in r.json()["detail"]
    assert get(f"{server}/api/sessions").json()["count"] == before
    same = post(f"{server}/api/sessions", json={"config": TINY}, headers={"Origin": server})
    assert same.status_code == 201  # the page itself (same origin) and scripts (no Origin) may


def test_405_under_api_names_the_routes_own_methods(server):
    r = delete(f"{server}/api/health")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    missing = get(f"{server}/api/no-such-route")
    assert missing.status_code == 404 and missing.json()["detail"] == "Not Found"
    assert get(f"{server}/").status_code == 200  # the page is still served
