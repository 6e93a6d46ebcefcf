"""Saved sessions over REST on real servers: save, list, resume, delete, keep, restart, bad files."""

import random
import subprocess
import threading
import time

import httpx
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save as st_save

from servers import free_port, start_server
from ..helpers import auth, create


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()  # SIGTERM: uvicorn's graceful shutdown (kept sessions are saved)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def serve(save_dir, **env) -> tuple[str, subprocess.Popen]:
    port = free_port()
    proc = start_server(port, env={"GANDOJO_SAVE_DIR": str(save_dir), **env})
    return f"http://127.0.0.1:{port}", proc


@pytest.fixture(scope="module")
def saved_server(tmp_path_factory):
    """A server whose save directory the tests can see, reaping sessions idle for 3 s."""
    save_dir = tmp_path_factory.mktemp("saved")
    base, proc = serve(save_dir, GANDOJO_IDLE_TIMEOUT_S="3", GANDOJO_IDLE_PAUSE_S="1")
    yield base, save_dir
    stop(proc)


def save(base, s, **body):
    return httpx.post(f"{base}/api/sessions/{s['id']}/save", json=body, headers=auth(s), timeout=30)


def listed(base) -> dict:
    r = httpx.get(f"{base}/api/saved", timeout=10)
    assert r.status_code == 200, r.text
    return {e["name"]: e for e in r.json()["saved"]}


def step(base, s, n):
    r = httpx.post(f"{base}/api/sessions/{s['id']}/step", json={"n": n}, headers=auth(s), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_save_list_resume_and_delete(saved_server):
    base, save_dir = saved_server
    s = create(base, dataset="ring8", seed=21)
    step(base, s, 7)
    r = save(base, s, name="ring8-lesson")
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("name", "dataset", "iteration", "keep")} == \
        {"name": "ring8-lesson", "dataset": "ring8", "iteration": 7, "keep": False}
    assert (save_dir / "ring8-lesson.safetensors").is_file()
    entry = listed(base)["ring8-lesson"]
    assert entry["iteration"] == 7 and entry["saved_at"].endswith("Z") and "owner" not in entry
    r = httpx.post(f"{base}/api/saved/ring8-lesson/resume", timeout=30)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["id"] != s["id"] and copy["token"] != s["token"] and copy["iteration"] == 7
    assert copy["config"] == s["config"] and copy["seed"] == 21 and copy["saved_as"] == "ring8-lesson"
    assert step(base, copy, 3)["losses"] == step(base, s, 3)["losses"]  # the exact state
    # someone who resumed a copy without the saver's token cannot overwrite or delete it
    assert save(base, copy).status_code == 403
    assert httpx.delete(f"{base}/api/saved/ring8-lesson", headers=auth(copy)).status_code == 403
    assert httpx.delete(f"{base}/api/saved/ring8-lesson").status_code == 401
    assert httpx.delete(f"{base}/api/saved/ring8-lesson", headers=auth(s)).status_code == 204
    assert "ring8-lesson" not in listed(base)
    assert httpx.post(f"{base}/api/saved/ring8-lesson/resume").status_code == 404
    assert httpx.delete(f"{base}/api/saved/ring8-lesson", headers=auth(s)).status_code == 404


def test_image_sessions_save_and_resume_exactly(saved_server):
    base, save_dir = saved_server
    s = create(base, dataset="mnist", seed=8, config={"batch_size": 16}, keep=True)
    assert s["keep"] is True and s["saved_as"] is None
    step(base, s, 3)
    r = save(base, s, name="digits")
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("kind", "dataset", "iteration")} == \
        {"kind": "image", "dataset": "mnist", "iteration": 3}
    assert listed(base)["digits"]["kind"] == "image"
    r = httpx.post(f"{base}/api/saved/digits/resume", timeout=60)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert (copy["kind"], copy["iteration"], copy["saved_as"]) == ("image", 3, "digits")
    assert copy["config"] == s["config"] and copy["data"] == s["data"]
    assert step(base, copy, 2)["losses"] == step(base, s, 2)["losses"]  # the exact state
    # a file that is whole safetensors but a broken image checkpoint: 409 naming what is wrong
    path = save_dir / "digits.safetensors"
    with safe_open(str(path), framework="pt") as fh:
        meta, tensors = fh.metadata(), {k: fh.get_tensor(k) for k in fh.keys()}
    del tensors[next(k for k in tensors if k.startswith("D."))]
    (save_dir / "broken-digits.safetensors").write_bytes(st_save(tensors, metadata=meta))
    r = httpx.post(f"{base}/api/saved/broken-digits/resume", timeout=60)
    assert r.status_code == 409 and "broken-digits" in r.text and "Missing key" in r.text, r.text
    assert httpx.delete(f"{base}/api/saved/digits", headers=auth(s)).status_code == 204


def test_the_savers_token_passes_ownership_to_the_resumed_session(saved_server):
    base, _ = saved_server
    s = create(base, dataset="disjoint", seed=5)
    assert save(base, s, name="handover").status_code == 200
    copy = httpx.post(f"{base}/api/saved/handover/resume", headers=auth(s)).json()
    step(base, copy, 2)
    r = save(base, copy)  # its default name is the one it was resumed as
    assert r.status_code == 200 and r.json()["name"] == "handover" and r.json()["iteration"] == 2
    other = create(base, dataset="disjoint")
    assert save(base, other, name="handover").status_code == 403
    assert httpx.delete(f"{base}/api/saved/handover", headers=auth(copy)).status_code == 204


def test_a_playing_session_saves_a_consistent_state(saved_server):
    """Saved while it trains (batched with others, by default): the entry names the iteration
    the checkpoint holds, and a resume starts exactly there."""
    base, _ = saved_server
    sessions = [create(base, dataset="gaussians", seed=i) for i in (31, 32)]
    for s in sessions:
        assert httpx.post(f"{base}/api/sessions/{s['id']}/play", headers=auth(s)).status_code == 200
    time.sleep(1.0)
    entry = save(base, sessions[0], name="while-playing").json()
    for s in sessions:
        httpx.post(f"{base}/api/sessions/{s['id']}/pause", headers=auth(s))
    assert entry["iteration"] > 0
    copy = httpx.post(f"{base}/api/saved/while-playing/resume").json()
    assert copy["iteration"] == entry["iteration"] and copy["running"] is False


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "x" * 65, "white space", "ümlaut"])
def test_bad_names_get_422_naming_the_field(saved_server, name):
    base, save_dir = saved_server
    s = create(base)
    r = save(base, s, name=name)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "name", r.text
    assert not (save_dir.parent / "evil.safetensors").exists()


@pytest.mark.parametrize("path", ["%2e%2e", "..%2Fevil", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "a%00b",
                                  ".hidden", "x" * 65])
def test_bad_names_in_the_path_never_reach_the_disk(saved_server, path):
    base, _ = saved_server
    for r in (httpx.post(f"{base}/api/saved/{path}/resume"),
              httpx.delete(f"{base}/api/saved/{path}", headers={"Authorization": "Bearer x"})):
        assert r.status_code in (404, 405, 422), (path, r.status_code, r.text)


def test_corrupt_and_foreign_files_are_skipped_not_500(saved_server):
    base, save_dir = saved_server
    (save_dir / "garbage.safetensors").write_bytes(b"\x00" * 7 + b"{" * 500)
    (save_dir / "foreign.safetensors").write_bytes(st_save({"w": torch.ones(4)}))
    (save_dir / "readme.txt").write_text("hello")
    r = httpx.get(f"{base}/api/saved")
    assert r.status_code == 200
    skipped = {s["file"]: s["reason"] for s in r.json()["skipped"]}
    assert {"garbage.safetensors", "foreign.safetensors"} <= skipped.keys()
    assert "GAN Dojo" in skipped["foreign.safetensors"]
    assert "garbage" not in listed(base) and "foreign" not in listed(base)
    assert httpx.post(f"{base}/api/saved/garbage/resume").status_code == 409
    assert httpx.post(f"{base}/api/saved/foreign/resume").status_code == 409


def test_a_kept_session_is_saved_when_the_reaper_ends_it(saved_server):
    base, _ = saved_server
    s = create(base, dataset="line", seed=8, keep=True)
    assert s["keep"] is True
    step(base, s, 4)
    deadline = time.monotonic() + 20
    while httpx.get(f"{base}/api/sessions/{s['id']}").status_code == 200:
        assert time.monotonic() < deadline, "the idle session was not reaped"
        time.sleep(3.5)  # each read marks it active: poll slower than the 3 s idle timeout
    lines = [e for e in listed(base).values() if e["dataset"] == "line"]
    assert [e["iteration"] for e in lines] == [4]


def test_saved_sessions_survive_a_restart_and_resume_exactly(tmp_path):
    base, proc = serve(tmp_path)
    try:
        s = create(base, dataset="gaussians", seed=3)
        step(base, s, 6)
        assert save(base, s, name="before-restart").status_code == 200
        kept = create(base, dataset="ring", seed=4, keep=True)
        step(base, kept, 2)
        expected = step(base, s, 3)["losses"]
    finally:
        stop(proc)
    base, proc = serve(tmp_path)
    try:
        saved = listed(base)
        assert saved["before-restart"]["iteration"] == 6
        assert [e["iteration"] for e in saved.values() if e["dataset"] == "ring"] == [2]
        r = httpx.post(f"{base}/api/saved/before-restart/resume", timeout=30)
        assert r.status_code == 201 and r.json()["iteration"] == 6
        assert step(base, r.json(), 3)["losses"] == expected
    finally:
        stop(proc)


def test_kill_9_of_the_server_while_it_saves_loses_nothing(tmp_path):
    """A client saves an ~8 MB session in a loop; the server is SIGKILLed mid-way. After a restart
    the entry is listed, whole, and resumes (tests/engine/test_store.py kills 12 times)."""
    big = {"generator": {"hidden_layers": 6, "neurons": 256, "optimizer": "adam"},
           "discriminator": {"hidden_layers": 6, "neurons": 256, "optimizer": "adam"},
           "batch_size": 8}
    base, proc = serve(tmp_path)
    try:
        s = create(base, seed=6, config=big)
        step(base, s, 1)
        assert save(base, s, name="big").json()["size"] > 7_000_000
        saves = []
        worker = threading.Thread(target=lambda: save_until_dead(base, s, saves))
        worker.start()
        time.sleep(random.Random(7).uniform(0.5, 1.0))
    finally:
        proc.kill()  # SIGKILL
        proc.wait(timeout=10)
    worker.join(timeout=30)
    assert len(saves) >= 1 and set(saves) == {200}
    base, proc = serve(tmp_path)
    try:
        r = httpx.get(f"{base}/api/saved").json()
        assert r["skipped"] == [] and [e["name"] for e in r["saved"]] == ["big"]
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temporaries gone
        resumed = httpx.post(f"{base}/api/saved/big/resume", timeout=60)
        assert resumed.status_code == 201 and resumed.json()["iteration"] == 1
    finally:
        stop(proc)


def save_until_dead(base: str, s: dict, statuses: list[int]) -> None:
    while True:
        try:
            statuses.append(save(base, s, name="big").status_code)
        except httpx.HTTPError:
            return
