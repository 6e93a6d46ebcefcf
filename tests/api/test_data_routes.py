"""Points, CSV uploads, DRS, lockstep compare and checkpoints over a real server."""

import time

import httpx
import pytest

from .helpers import Client, auth, create, ws_url


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


def test_points_and_drs_over_websocket(server):
    s = create(server)
    with Client(ws_url(server, s)) as c:
        c.send(cmd="points", points=[[0.5, 0.5], [0.6, 0.6]])
        assert c.wait_message(lambda m: m["type"] == "reset")["dataset"] == "drawn"
        c.send(cmd="points", points=[[0.5, 1e300]])
        assert c.wait_message(lambda m: m["type"] == "error")["field"] == "points.0.1"
        c.send(cmd="drs", on=True)
        c.wait_message(lambda m: m["type"] == "state" and m["drs"]["on"])


def test_steps_reach_the_follower_part_by_part(server):
    a, b = create(server, seed=5), create(server, seed=6)
    httpx.post(url(server, a, "/link"), json={"follower": b["id"], "follower_token": b["token"]},
               headers=auth(a))
    ra = httpx.post(url(server, a, "/step"), json={"n": 3, "part": "d"}, headers=auth(a)).json()
    rb = httpx.get(url(server, b)).json()
    assert ra["iteration"] == rb["iteration"] == 3
    snap_b = httpx.get(url(server, b, "/snapshot")).json()
    assert snap_b["losses"]["g"] is None and snap_b["losses"]["d"] is not None  # D-only steps
