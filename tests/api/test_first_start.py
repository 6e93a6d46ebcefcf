"""First start on a fresh machine: `gandojo serve` with an empty HOME and no data variables trains
MNIST and Fashion-MNIST from the embedded default; a port in use is refused before any URL; the
"Get the full dataset" job says in one sentence when there is no network and keeps what is in use."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys

import httpx
import pytest

from servers import ROOT, free_port, stop_server, wait_for

from .helpers import auth

DATA_VARS = ("GANDOJO_DATA", "GANDOJO_DATA_DIR", "GANDOJO_EMBEDDED", "GANDOJO_SAVE_DIR", "XDG_CACHE_HOME",
             "XDG_DATA_HOME", "GANDOJO_DATA_MIRRORS")


def fresh_env(home, **extra) -> dict:
    """The environment of a new user: an empty HOME, none of the data variables."""
    env = {k: v for k, v in os.environ.items() if k not in DATA_VARS}
    return {**env, "HOME": str(home), "PYTHONUNBUFFERED": "1", **extra}


def spawn(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gandojo", "serve", "--port", str(port), "--device",
                             "cpu", "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A server started as a new user would: empty HOME, no GANDOJO_DATA* variables; mirrors of
    "Get the full dataset" point at a closed local port (a machine without network)."""
    home = tmp_path_factory.mktemp("home")
    closed = free_port()  # nothing listens there
    port = free_port()
    proc = spawn(port, fresh_env(home, GANDOJO_DATA_MIRRORS=f"http://127.0.0.1:{closed}/"))
    base = f"http://127.0.0.1:{port}"
    first_line = proc.stdout.readline()  # the URL: printed only once the port is bound
    with socket.socket() as probe:
        bound = probe.connect_ex(("127.0.0.1", port)) == 0  # a listening socket accepts at once
    assert f"open http://127.0.0.1:{port}" in first_line and bound, first_line
    ok = wait_for(lambda: _healthy(base) or proc.poll() is not None, timeout=90)
    assert ok and proc.poll() is None, proc.stdout.read() if proc.poll() is not None else "no answer"
    yield base, home
    stop_server(proc)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_embedded_datasets_are_listed_with_their_source_and_count(fresh):
    base, _ = fresh
    images = {d["name"]: d for d in httpx.get(f"{base}/api/datasets").json()["image_datasets"]}
    for name in ("mnist", "fashion-mnist"):
        d = images[name]
        assert d["available"] is True and d["source"] == "embedded", d
        assert (d["count"], d["test_count"]) == (9000, 1000) and d["full"] is False
        assert "shipped inside GAN Dojo" in d["note"]


def _play_until(base: str, sessions: list[dict], iterations: int, timeout: float) -> list[dict]:
    for s in sessions:
        assert httpx.post(f"{base}/api/sessions/{s['id']}/play", headers=auth(s), timeout=30).status_code == 200
    infos: list[dict] = []

    def risen() -> bool:
        infos[:] = [httpx.get(f"{base}/api/sessions/{s['id']}", timeout=10).json() for s in sessions]
        return all(i["iteration"] >= iterations for i in infos)
    assert wait_for(risen, timeout=timeout), infos
    return infos


def test_mnist_dcgan_and_fashion_cgan_train_at_once_from_the_embedded_data(fresh):
    base, home = fresh
    made = []
    for dataset, model in (("mnist", "dcgan"), ("fashion-mnist", "cgan")):
        r = httpx.post(f"{base}/api/sessions", json={"dataset": dataset, "seed": 1,
                                                     "config": {"model": model, "batch_size": 16}},
                       timeout=60)
        assert r.status_code == 201, r.text
        s = r.json()
        assert (s["data"]["source"], s["data"]["count"], s["config"]["model"]) == ("embedded", 9000, model)
        made.append(s)
    before = [httpx.get(f"{base}/api/sessions/{s['id']}").json()["iteration"] for s in made]
    infos = _play_until(base, made, 3, timeout=120)  # both run at the same time
    assert all(i["running"] for i in infos) and all(i["iteration"] > b for i, b in zip(infos, before))
    for s in made:
        httpx.post(f"{base}/api/sessions/{s['id']}/pause", headers=auth(s), timeout=30)
        step = httpx.post(f"{base}/api/sessions/{s['id']}/step", json={"n": 2}, headers=auth(s), timeout=60)
        assert step.status_code == 200, step.text
        losses = step.json()["losses"]
        assert all(math.isfinite(losses[k]) for k in ("d", "g")), losses
    assert not (home / ".cache" / "gandojo" / "data" / "mnist").exists()  # nothing was downloaded or copied


def test_get_the_full_dataset_offline_says_so_in_one_sentence_and_keeps_the_embedded_set(fresh):
    base, _ = fresh
    r = httpx.post(f"{base}/api/datasets/mnist/download", timeout=10)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "download"
    again = httpx.post(f"{base}/api/datasets/mnist/download", timeout=10).json()
    first_ended = httpx.get(f"{base}/api/jobs/{job['job']}").json()["state"] != "running"
    assert again["job"] == job["job"] or first_ended  # one download per dataset at a time
    assert wait_for(lambda: httpx.get(f"{base}/api/jobs/{again['job']}").json()["state"] != "running", 60)
    end = httpx.get(f"{base}/api/jobs/{again['job']}").json()
    assert end["state"] == "failed"
    msg = end["message"]
    assert msg.startswith("No network:") and msg.count(". ") == 0 and msg.endswith("stays in use.")
    assert "embedded set of 9,000 images" in msg and "\n" not in msg and "Error" not in msg
    mnist = next(d for d in httpx.get(f"{base}/api/datasets").json()["image_datasets"] if d["name"] == "mnist")
    assert (mnist["source"], mnist["count"], mnist["download_job"]) == ("embedded", 9000, None)
    assert httpx.post(f"{base}/api/datasets/emnist/download").status_code == 404


def test_a_port_in_use_is_refused_before_any_url_is_printed(tmp_path):
    with socket.socket() as other:  # another server holds the port
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        proc = spawn(port, fresh_env(tmp_path))
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, out
    assert "open http" not in out and f"port {port} on 127.0.0.1 is already in use" in out
    assert "make serve PORT=" in out and "gandojo serve --port" in out
    suggested = int(out.split("make serve PORT=")[1].split()[0])
    assert suggested != port and 0 < suggested < 65536


def test_serve_reads_gandojo_data_dir_before_gandojo_data(make_server, tmp_path):
    """The same resolver as every other command: GANDOJO_DATA_DIR (40 images here) wins over
    GANDOJO_DATA (start_server's 16 real digits)."""
    import numpy as np

    from gandojo.datasets.images import FILES
    from gandojo.datasets.idx import write_idx

    d = tmp_path / "mnist" / "download"
    for split, n in (("train", 40), ("test", 10)):
        write_idx(d / FILES[split][0], np.zeros((n, 28, 28), np.uint8))
        write_idx(d / FILES[split][1], (np.arange(n) % 10).astype(np.uint8))
    base = make_server(GANDOJO_DATA_DIR=tmp_path)
    mnist = next(x for x in httpx.get(f"{base}/api/datasets").json()["image_datasets"] if x["name"] == "mnist")
    assert (mnist["source"], mnist["count"]) == ("download", 40)
