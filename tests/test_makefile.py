"""`make serve` installs only what serving needs; `make test` adds the test extra (dry runs, `make -n`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def dry_run(target: str, venv: Path) -> list[str]:
    out = subprocess.run(["make", "--no-print-directory", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=30).stdout
    return [line for line in out.splitlines() if "pip install" in line or "gandojo serve" in line]


def test_serve_installs_the_project_without_the_test_extra(tmp_path):
    lines = dry_run("serve", tmp_path / "venv")
    installs = [line for line in lines if "pip install" in line]
    assert any("torch==2.13.0" in line for line in installs[:2])  # torch first, pinned
    assert any(line.rstrip().endswith("-e .") for line in installs)
    assert not any("[test]" in line or "playwright" in line for line in lines)
    assert lines[-1].strip().endswith("gandojo serve --host 127.0.0.1 --port 8000")


def test_test_installs_the_test_extra_after_the_pinned_torch(tmp_path):
    installs = dry_run("test", tmp_path / "venv")
    torch = next(i for i, line in enumerate(installs) if "torch==2.13.0" in line)
    extra = next(i for i, line in enumerate(installs) if "'.[test]'" in line)
    assert torch < extra


def test_the_port_variable_reaches_gandojo_serve(tmp_path):
    out = subprocess.run(["make", "--no-print-directory", "-n", "serve", f"VENV={tmp_path / 'venv'}", "PORT=8001"], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=30).stdout
    assert out.splitlines()[-1].strip().endswith("--port 8001")
