"""`gandojo serve --ray ADDRESS` joins a Ray cluster started apart from it (`ray start --head`): its
workers belong to the cluster, so a gateway that stops and starts again adopts the sessions they
hold — same id, same token, same iteration, kept flag included — and nothing is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from servers import free_port, start_server, stop_server
from tests.api.helpers import auth, create

pytest.importorskip("ray")
pytestmark = pytest.mark.cluster
RAY = str(Path(sys.executable).with_name("ray"))


def _ours(tag: str) -> list[int]:
    """Processes whose command line names our Ray temp dir (never another test's cluster)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def ray_head():
    """A one-node Ray cluster of our own on 127.0.0.1 (its temp dir tells its processes apart)."""
    temp = tempfile.mkdtemp(prefix="gdray", dir="/tmp")
    port = free_port()
    subprocess.run([RAY, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                    "--disable-usage-stats", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    yield f"127.0.0.1:{port}"
    for pid in _ours(temp):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    shutil.rmtree(temp, ignore_errors=True)


def test_a_restarted_gateway_adopts_the_sessions_its_workers_hold(ray_head):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, "--ray", ray_head, "--workers", "2")
    try:
        info = httpx.get(f"{base}/api/cluster").json()
        assert info["mode"] == "ray" and len(info["workers"]) == 2
        s = create(base, dataset="ring8", seed=6, keep=True)
        other = create(base, dataset="gaussians", seed=7)
        assert httpx.post(f"{base}/api/sessions/{s['id']}/step", json={"n": 30}, headers=auth(s)).status_code == 200
    finally:
        stop_server(proc)  # a graceful stop: the workers, and their sessions, stay in the cluster
    proc = start_server(port, "--ray", ray_head, "--workers", "2")
    try:
        got = httpx.get(f"{base}/api/sessions/{s['id']}").json()
        assert got["iteration"] == 30 and got["keep"] is True and got["seed"] == 6
        assert httpx.get(f"{base}/api/sessions/{other['id']}").status_code == 200
        r = httpx.post(f"{base}/api/sessions/{s['id']}/step", json={"n": 1}, headers=auth(s))
        assert r.status_code == 200 and r.json()["iteration"] == 31  # the old token still controls it
        assert httpx.post(f"{base}/api/sessions/{s['id']}/step", json={"n": 1},
                          headers=auth(other)).status_code == 403
        assert len(httpx.get(f"{base}/api/cluster").json()["workers"]) == 2  # found, not started again
        for x in (s, other):
            assert httpx.delete(f"{base}/api/sessions/{x['id']}", headers=auth(x)).status_code == 204
    finally:
        stop_server(proc)
