"""The class REST contract on a real server: a lecturer's class, students joining with their own
token, the dashboard (teacher token only; no student token in it), pushing a lesson step."""

from __future__ import annotations

import base64

import httpx
import numpy as np

from .helpers import Client, auth, create, ws_url


def _class(server: str, title: str = "GANs 101") -> dict:
    r = httpx.post(f"{server}/api/classes", json={"title": title}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def test_class_join_dashboard_and_push(server: str) -> None:
    room = _class(server)
    assert len(room["code"]) == 6 and room["dashboard_url"] == f"/class.html?code={room['code']}"
    code, teacher = room["code"], {"Authorization": f"Bearer {room['teacher_token']}"}
    students = [create(server, dataset="gaussians") for _ in range(3)]
    for i, s in enumerate(students):
        r = httpx.post(f"{server}/api/classes/{code.lower()}/students",
                       json={"session": s["id"], "token": s["token"], "name": f"Ada {i}"}, timeout=10)
        assert r.status_code == 201 and r.json()["joined"] is True, r.text
    url = f"{server}/api/classes/{code}"
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, headers=auth(students[0]), timeout=10).status_code == 403
    httpx.post(f"{server}/api/sessions/{students[1]['id']}/step", json={"n": 30},
               headers=auth(students[1]), timeout=60).raise_for_status()
    r = httpx.get(url, headers=teacher, timeout=10)
    assert r.status_code == 200
    tiles = {t["name"]: t for t in r.json()["students"]}
    assert sorted(tiles) == ["Ada 0", "Ada 1", "Ada 2"]
    assert tiles["Ada 1"]["iteration"] == 30 and tiles["Ada 0"]["iteration"] == 0
    assert tiles["Ada 0"]["viewer_url"].startswith(f"/?session={students[0]['id']}&view=")
    for s in students:  # the lecturer never sees a student's control token
        assert s["token"] not in r.text
    assert all(t["thumb"] is None for t in tiles.values())  # only when asked for
    with Client(ws_url(server, students[2])) as c:  # a student's page: its frames go out
        c.pump(1.5)
        assert c.frames
        thumbs = {t["name"]: t["thumb"] for t in
                  httpx.get(f"{url}?thumbs=true", headers=teacher, timeout=10).json()["students"]}
    th = thumbs["Ada 2"]
    assert th["view"] == {"x": [0, 1], "y": [0, 1]} and th["levels"] == 255
    places = {k: np.frombuffer(base64.b64decode(th[k]), np.uint8).reshape(-1, 2) for k in ("real", "fake")}
    def same_points(frame) -> bool:  # the thumbnail is one of the frames the student's page got
        q = np.rint(frame.sections["real"][:150].astype(np.float64) * 255)  # its place, 8 bits
        inside = ((q >= 0) & (q <= 255)).all(1)  # points whose place is outside the view are left out
        return len(places["real"]) == inside.sum() > 100 and np.array_equal(q[inside], places["real"])
    assert any(same_points(f) for f in c.frames) and 100 < len(places["fake"]) <= 150
    r = httpx.post(f"{url}/push", json={"lesson": "ganlab-sheet", "step": 4}, headers=teacher, timeout=120)
    assert r.status_code == 200 and r.json() == {"pushed": 3}
    for s in students:
        info = httpx.get(f"{server}/api/sessions/{s['id']}", timeout=10).json()
        assert info["seed"] == 3 and info["iteration"] == 0  # step 4's setup on every student
    tiles = httpx.get(url, headers=teacher, timeout=10).json()["students"]
    assert all(t["lesson"]["id"] == "ganlab-sheet" and t["lesson"]["step"] == 4 for t in tiles)


def test_bad_class_requests(server: str) -> None:
    room = _class(server, "x")
    s = create(server, dataset="gaussians")
    join = lambda code, **kw: httpx.post(  # noqa: E731
        f"{server}/api/classes/{code}/students",
        json={"session": s["id"], "token": s["token"], **kw}, timeout=10)
    assert join("ZZZZZZ").status_code == 404
    assert join(room["code"], token="wrong").status_code == 403
    r = join(room["code"], name="n" * 41)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    r = httpx.post(f"{server}/api/classes", json={"title": ""}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
    teacher = {"Authorization": f"Bearer {room['teacher_token']}"}
    r = httpx.post(f"{server}/api/classes/{room['code']}/push", json={"lesson": "losses", "step": 9},
                   headers=teacher, timeout=10)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "step"]
    assert httpx.get(f"{server}/api/classes/NOPE42", headers=teacher, timeout=10).status_code == 404
