"""A lecturer's dashboard in Chromium: three students' tiles appear and update as they train, a
watched student's tile draws the thumbnail of its points, a filter narrows them, a click puts one
student's run on the projector (the read-only viewer); an image student's tile shows pictures of
its sample grid."""

from __future__ import annotations

import httpx
from websockets.sync.client import connect

from .conftest import VIEWPORT, watched_page
from .helpers import tid


def create(server: str, **body) -> dict:
    r = httpx.post(f"{server}/api/sessions", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def auth(s: dict) -> dict:
    return {"Authorization": f"Bearer {s['token']}"}


def test_dashboard_shows_three_students_updating_and_spotlights_one(browser, server) -> None:
    room = httpx.post(f"{server}/api/classes", json={"title": "Tuesday lab"}, timeout=10).json()
    students = [create(server, dataset="gaussians") for _ in range(3)]
    for i, s in enumerate(students):
        httpx.post(f"{server}/api/classes/{room['code']}/students", timeout=10,
                   json={"session": s["id"], "token": s["token"], "name": f"student {i}"}).raise_for_status()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        p = watched_page(context)
        p.goto(f"{server}{room['dashboard_url']}#{room['teacher_token']}")
        p.wait_for_function("() => document.querySelectorAll('[data-testid=class-tile]').length === 3",
                            timeout=30_000)
        assert p.text_content(tid("class-title")) == "Tuesday lab"
        assert p.text_content(tid("class-count")) == "3"
        first = students[0]
        tile = f'[data-testid="class-tile"][data-session="{first["id"]}"]'
        assert p.get_attribute(tile, "data-iteration") == "0"
        httpx.post(f"{server}/api/sessions/{first['id']}/step", json={"n": 40}, headers=auth(first),
                   timeout=60).raise_for_status()
        p.wait_for_selector(f'{tile}[data-iteration="40"]', timeout=15_000)  # refreshed live
        watched = students[2]  # its page is open: its frames exist, and the dashboard draws its points
        url = server.replace("http://", "ws://") + f"/ws/sessions/{watched['id']}?token={watched['token']}"
        with connect(url, max_size=2**24, open_timeout=10) as ws:
            ws.send('{"cmd": "snapshot"}')
            while not isinstance(ws.recv(timeout=10), bytes):
                pass
            canvas = f'[data-testid="class-tile"][data-session="{watched["id"]}"] canvas'
            p.wait_for_selector(f"{canvas}[data-drawn]", timeout=15_000)  # thumbnails come every 5th refresh
            colours = p.eval_on_selector(canvas, """(c) => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const seen = new Set();
                for (let i = 0; i < d.length; i += 4) if (d[i + 3]) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
                return [...seen]; }""")
            assert {"44,160,44", "148,103,189"} <= set(colours)  # real (green) and fake (purple) points
        httpx.post(f"{server}/api/sessions/{first['id']}/lesson", headers=auth(first), timeout=60,
                   json={"lesson": "ganlab-sheet", "step": 1}).raise_for_status()
        httpx.post(f"{server}/api/sessions/{first['id']}/lesson/answer", headers=auth(first),
                   json={"answer": 1}, timeout=30).raise_for_status()
        p.wait_for_selector(f'{tile}[data-done="true"]', timeout=15_000)
        p.select_option(tid("class-filter"), "done")
        p.wait_for_function("() => document.querySelectorAll('[data-testid=class-tile]').length === 1")
        assert "ganlab-sheet step 1/6" in p.text_content(tile)
        p.click(tile)
        frame = tid("class-spotlight")
        p.wait_for_selector(f'{frame}[data-session="{first["id"]}"]')
        assert f"session={first['id']}&view=" in p.get_attribute(frame, "src")
        assert not p.errors, p.errors
    finally:
        context.close()


def test_an_image_students_tile_shows_pictures_of_its_sample_grid(browser, server) -> None:
    room = httpx.post(f"{server}/api/classes", json={"title": "MNIST lab"}, timeout=10).json()
    s = create(server, dataset="mnist")
    httpx.post(f"{server}/api/classes/{room['code']}/students", timeout=10,
               json={"session": s["id"], "token": s["token"], "name": "ada"}).raise_for_status()
    context = browser.new_context(viewport=VIEWPORT)
    url = server.replace("http://", "ws://") + f"/ws/sessions/{s['id']}?token={s['token']}"
    try:
        with connect(url, max_size=2**24, open_timeout=10) as ws:  # the student's page: frames exist
            ws.send('{"cmd": "snapshot"}')
            while not isinstance(ws.recv(timeout=30), bytes):
                pass
            p = watched_page(context)
            p.goto(f"{server}{room['dashboard_url']}#{room['teacher_token']}")
            canvas = f'[data-testid="class-tile"][data-session="{s["id"]}"] canvas'
            p.wait_for_selector(f"{canvas}[data-drawn]", timeout=30_000)
            grays = p.eval_on_selector(canvas, """(c) => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const seen = new Set();
                for (let i = 0; i < d.length; i += 4) if (d[i] === d[i + 1] && d[i] === d[i + 2] && d[i + 3] === 255) seen.add(d[i]);
                return seen.size; }""")
            assert grays > 20  # gray pictures, not an empty or one-colour canvas
            assert "mnist" in p.text_content(f'[data-testid="class-tile"][data-session="{s["id"]}"]')
            assert not p.errors, p.errors
    finally:
        context.close()
