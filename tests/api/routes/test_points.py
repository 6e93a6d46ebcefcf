"""Custom 2D data over a real server: drawn points and CSV uploads (REST and websocket), bad ones named."""

from __future__ import annotations

import httpx
import pytest

from ..helpers import Client, auth, create, ws_url


def url(server, s, path=""):
    return f"{server}/api/sessions/{s['id']}{path}"


def test_drawn_points_become_the_dataset(server):
    s = create(server, seed=1)
    pts = [[0.2, 0.2], [0.25, 0.22], [0.8, 0.7]]
    r = httpx.put(url(server, s, "/points"), json={"points": pts}, headers=auth(s))
    assert r.status_code == 200 and r.json()["dataset"] == "drawn" and r.json()["iteration"] == 0
    snap = httpx.get(url(server, s, "/snapshot")).json()
    real = snap["real"]
    assert all(min(abs(x - px) + abs(y - py) for px, py in pts) < 0.2 for x, y in real)
    assert snap["metrics"]["modes_total"] is None


@pytest.mark.parametrize("body,msg", [
    ({"points": []}, "at least 1"),
    ({"points": [[0.1]]}, "at least 2"),
    ({"points": [[0.1, 0.2, 0.3]]}, "at most 2"),
    ({"points": [[1e300, 0.2]]}, "less than or equal to 1000000"),
    ({"points": [[0.1, 0.2]] * 10001}, "at most 10000"),
])
def test_bad_points_are_422(server, body, msg):
    s = create(server)
    r = httpx.put(url(server, s, "/points"), json=body, headers=auth(s))
    assert r.status_code == 422 and msg in r.text


def test_csv_upload(server):
    s = create(server)
    csv = b"x,y\n1.0,2.0\n3.0,4.0\n\n5,6\n"
    r = httpx.put(url(server, s, "/points.csv"), content=csv, headers=auth(s))
    assert r.status_code == 200, r.text
    snap = httpx.get(url(server, s, "/snapshot")).json()
    assert snap["dataset"] == "csv"
    x0, x1 = snap["view"]["x"]
    assert x0 < 1.0 and x1 > 5.0


@pytest.mark.parametrize("csv,msg", [
    (b"1,2\n3\n", "line 2: expected 2 columns"),
    (b"1,2\n3,abc\n", "line 2"),
    (b"1,2\nnan,1\n", "finite"),
    (b"x,y\n", "no x,y rows"),
    (b"\xff\xfe\x00", "UTF-8"),
    (b"1,2,3\n", "2 columns"),
    (b"0.5," + b"7" * 200_000, "line 1: not an x,y row"),  # a field over csv's 131,072 limit
    (b"1,2\n" + b" " * (1_000_000 - 4), "line 2: not an x,y row"),  # exactly 1,000,000 bytes
])
def test_bad_csv_is_422_naming_the_line(server, csv, msg):
    s = create(server)
    r = httpx.put(url(server, s, "/points.csv"), content=csv, headers=auth(s))
    assert r.status_code == 422 and msg in r.text


def test_oversized_csv_is_413(server):
    s = create(server)
    r = httpx.put(url(server, s, "/points.csv"), content=b"1,2\n" * 300_000, headers=auth(s))
    assert r.status_code == 413


def test_points_and_drs_over_websocket(server):
    s = create(server)
    with Client(ws_url(server, s)) as c:
        c.send(cmd="points", points=[[0.5, 0.5], [0.6, 0.6]])
        assert c.wait_message(lambda m: m["type"] == "reset")["dataset"] == "drawn"
        c.send(cmd="points", points=[[0.5, 1e300]])
        assert c.wait_message(lambda m: m["type"] == "error")["field"] == "points.0.1"
        c.send(cmd="drs", on=True)
        c.wait_message(lambda m: m["type"] == "state" and m["drs"]["on"])
