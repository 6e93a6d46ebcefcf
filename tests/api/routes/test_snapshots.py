"""Snapshots over a real server: the current frame as JSON and as a PNG."""

from __future__ import annotations

import httpx

from ..helpers import auth, create


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
