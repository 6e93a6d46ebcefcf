"""The lessons REST contract on a real server: catalogue, one lesson (no answer key), a session's
lesson progress (start a step with its setup, checks evaluated live, answers), 4xx naming fields."""

from __future__ import annotations

import httpx

from .helpers import auth, create


def test_catalogue_and_one_lesson(server: str) -> None:
    r = httpx.get(f"{server}/api/lessons", timeout=10)
    assert r.status_code == 200
    ids = [les["id"] for les in r.json()["lessons"]]
    assert {"ganlab-sheet", "mode-collapse", "losses"} <= set(ids)
    les = httpx.get(f"{server}/api/lessons/ganlab-sheet", timeout=10).json()
    assert les["title"].startswith("The GAN Lab exercise sheet") and len(les["steps"]) == 6
    step = les["steps"][0]
    assert "plot-distribution" in step["highlight"] and len(step["question"]["options"]) == 3
    assert "answer" not in step["question"] and "solution" not in step  # no answer key
    assert httpx.get(f"{server}/api/lessons/nope", timeout=10).status_code == 404


def test_start_step_evaluate_and_answer(server: str) -> None:
    s = create(server, dataset="gaussians")
    url = f"{server}/api/sessions/{s['id']}/lesson"
    assert httpx.get(url, timeout=10).status_code == 404  # none started
    body = {"lesson": "ganlab-sheet", "step": 4}
    assert httpx.post(url, json=body, timeout=10).status_code == 401  # the token is needed
    r = httpx.post(url, json=body, headers=auth(s), timeout=60)
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["step"] == 4 and st["iteration"] == 0 and not st["done"]
    assert [c["passed"] for c in st["checks"]] == [False, False] and st["checks"][0]["hint"]
    info = httpx.get(f"{server}/api/sessions/{s['id']}", timeout=10).json()
    assert info["seed"] == 3 and info["preset"] == "ganlab-default"  # the step's setup applied
    r = httpx.post(f"{url}/answer", json={"answer": 0}, headers=auth(s), timeout=30).json()
    assert r["correct"] is False and "two-player game" in r["explanation"]
    r = httpx.post(f"{url}/answer", json={"answer": 1}, headers=auth(s), timeout=30).json()
    assert r["correct"] is True and r["status"]["question"]["correct"] is True
    for _ in range(9):  # each read records a point of the run's metric history (as frames do)
        httpx.post(f"{server}/api/sessions/{s['id']}/step", json={"n": 50}, headers=auth(s),
                   timeout=120).raise_for_status()
        st = httpx.get(url, timeout=30).json()
    assert st["iteration"] == 450 and all(c["passed"] for c in st["checks"]), st
    assert st["done"] is True
    assert httpx.delete(url, headers=auth(s), timeout=10).json() == {"ended": True}
    assert httpx.get(url, timeout=10).status_code == 404


def _field(r: httpx.Response) -> list:
    assert r.status_code == 422, r.text
    return r.json()["detail"][0]["loc"]


def test_bad_requests_name_the_field(server: str) -> None:
    s = create(server, dataset="gaussians")
    url, h = f"{server}/api/sessions/{s['id']}/lesson", auth(s)
    assert _field(httpx.post(url, json={"lesson": "nope"}, headers=h, timeout=10)) == ["body", "lesson"]
    assert _field(httpx.post(url, json={"lesson": "Bad Id!"}, headers=h, timeout=10)) == ["body", "lesson"]
    assert _field(httpx.post(url, json={"lesson": "losses", "step": 3}, headers=h,
                             timeout=10)) == ["body", "step"]
    assert _field(httpx.post(url, json={"lesson": "losses", "step": 0}, headers=h,
                             timeout=10)) == ["body", "step"]
    assert httpx.post(url, json={"lesson": "ganlab-sheet", "apply": False}, headers=h,
                      timeout=30).status_code == 200
    for bad in ({"answer": 3}, {"answer": -1}, {"answer": "text"}, {"answer": "x" * 2001}):
        assert _field(httpx.post(f"{url}/answer", json=bad, headers=h, timeout=10))[:2] == \
            ["body", "answer"], bad
    assert _field(httpx.post(f"{url}/answer", json={"answer": 1, "x": 1}, headers=h,
                             timeout=10)) == ["body", "x"]
