"""The Dockerfile, checked without a Docker engine: its instructions are parsed, and what it would
run — the torch install line, the CMD, the HEALTHCHECK, the package build — is run here for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

from servers import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        word, _, rest = (pending + line).strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def args_of(kind: str) -> list[str]:
    return [a for k, a in instructions() if k == kind]


def arg_defaults() -> dict[str, str]:
    return dict(a.partition("=")[::2] for a in args_of("ARG"))


def env_of() -> dict[str, str]:
    env = {}
    for line in args_of("ENV"):
        env.update(dict(kv.split("=", 1) for kv in shlex.split(line)))
    return env


def exec_form(text: str) -> list[str]:
    argv = json.loads(text)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), text
    return argv


def test_base_torch_pin_and_build_args():
    ins = instructions()
    kinds = [k for k, _ in ins]
    assert kinds.index("ARG") < kinds.index("FROM") and args_of("FROM") == ["${BASE}"]
    args = arg_defaults()
    assert re.fullmatch(r"python:3\.1[1-9]-slim", args["BASE"])
    assert args["TORCH_INDEX"].startswith("https://download.pytorch.org/whl/cpu")  # CPU by default
    makefile_pin = re.search(r"torch==([\d.]+)", (ROOT / "Makefile").read_text()).group(1)
    assert args["TORCH_VERSION"] == makefile_pin
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch_req = next(Requirement(d) for d in deps if Requirement(d).name == "torch")
    assert torch_req.specifier.contains(args["TORCH_VERSION"])  # the project install keeps the pin
    runs = args_of("RUN")
    torch_run = next(i for i, r in enumerate(runs) if '"torch==${TORCH_VERSION}"' in r)
    project_run = next(i for i, r in enumerate(runs) if re.search(r"pip install \.(\s|$)", r))
    assert torch_run < project_run
    copies = [i for i, (k, _) in enumerate(ins) if k == "COPY"]
    assert ins.index(("RUN", runs[torch_run])) < copies[0] < ins.index(("RUN", runs[project_run]))


@pytest.mark.parametrize("index, expected", [
    (None, ["pip", "install", "torch==2.13.0", "--index-url", "https://download.pytorch.org/whl/cpu"]),
    ("https://download.pytorch.org/whl/cu126",
     ["pip", "install", "torch==2.13.0", "--index-url", "https://download.pytorch.org/whl/cu126"]),
    ("", ["pip", "install", "torch==2.13.0"])])
def test_the_torch_install_line_expands_as_intended(index, expected):
    """The RUN line, expanded by a real /bin/sh with the build args (default, CUDA, PyPI)."""
    run = next(r for r in args_of("RUN") if "torch==${TORCH_VERSION}" in r)
    env = {**arg_defaults(), "PATH": os.environ["PATH"]}
    if index is not None:
        env["TORCH_INDEX"] = index
    out = subprocess.run(["sh", "-c", f"set -- {run}; printf '%s\\n' \"$@\""], env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == expected


def test_copy_sources_exist_and_the_context_skips_venv_and_caches():
    ignored = dockerignore()
    for line in args_of("COPY"):
        *sources, _dest = shlex.split(line)
        for src in sources:
            assert not src.startswith("--"), "no multi-stage COPY expected"
            assert (ROOT / src).exists(), f"COPY source {src} is missing"
            assert not ignored(src), f"COPY source {src} is excluded by .dockerignore"
    for path in (".venv/bin/python", ".git/HEAD", "backend/gandojo/__pycache__/cli.cpython-311.pyc",
                 ".pytest_cache/v/cache", "backend/gandojo.egg-info/PKG-INFO", "tests/conftest.py"):
        assert ignored(path), f"{path} would be sent to the Docker daemon"
    for path in ("backend/gandojo/pretrained/ring.safetensors", "frontend/index.html", "README.md"):
        assert (ROOT / path).exists() and not ignored(path)


def dockerignore():
    """A matcher for .dockerignore's patterns (Go filepath.Match plus `**`; a match covers all below)."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            neg, pat = line.startswith("!"), line.lstrip("!").strip("/")
            rx = re.escape(pat).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
            rules.append((neg, re.compile(rx)))

    def ignored(path: str) -> bool:
        parts, result = path.split("/"), False
        for neg, rx in rules:
            if any(rx.fullmatch("/".join(parts[:i])) for i in range(1, len(parts) + 1)):
                result = not neg
        return result
    return ignored


def test_runs_as_a_non_root_user_and_exposes_8000():
    ins = instructions()
    user = args_of("USER")
    assert user and user[-1] not in ("root", "0")
    assert any("useradd" in r and user[-1] in r for r in args_of("RUN"))
    kinds = [k for k, _ in ins]
    assert kinds.index("USER") < kinds.index("CMD") and args_of("EXPOSE") == ["8000"]
    env = env_of()
    assert env["GANDOJO_FRONTEND"] == "/app/frontend"
    assert env["GANDOJO_SAVE_DIR"].startswith("/data/") and args_of("VOLUME") == ['["/data"]']


def test_the_cmd_serves_the_page_and_the_healthcheck_sees_it(tmp_path):
    """CMD and HEALTHCHECK as the container runs them, with the image's paths mapped to the repo."""
    cmd = exec_form(args_of("CMD")[0])
    check = args_of("HEALTHCHECK")[0]
    assert "/api/health" in check and "--start-period=" in check
    check_cmd = exec_form(check.split(" CMD ", 1)[1])
    help_text = subprocess.run([str(BIN / cmd[0]), *cmd[1:2], "--help"], capture_output=True,
                               text=True, check=True).stdout
    assert all(flag in help_text for flag in cmd if flag.startswith("--"))
    port = str(free_port())
    cmd = [str(BIN / cmd[0]), *[port if a == "8000" else a for a in cmd[1:]], "--device", "cpu"]
    check_cmd = [sys.executable if check_cmd[0] == "python" else check_cmd[0],
                 *[a.replace(":8000/", f":{port}/") for a in check_cmd[1:]]]
    mapped = {k: v.replace("/app", str(ROOT)).replace("/data", str(tmp_path))
              for k, v in env_of().items() if k.startswith("GANDOJO_")}
    proc = subprocess.Popen(cmd, env={**os.environ, **mapped}, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(check_cmd, capture_output=True).returncode != 0:
            assert proc.poll() is None and time.monotonic() < deadline, "the CMD never became healthy"
            time.sleep(0.3)
        base = f"http://127.0.0.1:{port}"
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and "plot-distribution" in page.text  # frontend included
        assert httpx.get(f"{base}/api/presets").json()["pretrained"]  # pretrained files included
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert subprocess.run(check_cmd, capture_output=True).returncode != 0  # and sees it gone


def replay_copies(app: Path) -> None:
    """Each COPY of the Dockerfile into the scratch directory `app`, minus .dockerignore."""
    ignored = dockerignore()
    for line in args_of("COPY"):
        *sources, dest = shlex.split(line)
        for src in map(ROOT.joinpath, sources):
            for path in [src] if src.is_file() else src.rglob("*"):
                rel = path.relative_to(ROOT).as_posix()
                if path.is_file() and not ignored(rel):
                    target = app / dest / (path.name if src.is_file() else path.relative_to(src))
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(path.read_bytes())


def test_the_copied_context_builds_a_package_with_the_pretrained_models(tmp_path):
    """The COPY steps replayed into a scratch /app, then `pip install .`'s build step for real
    (a wheel, offline): the pretrained checkpoints travel as package data."""
    app = tmp_path / "app"
    replay_copies(app)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(app), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
                   check=True, capture_output=True, timeout=120)
    names = set(zipfile.ZipFile(next((tmp_path / "dist").glob("gandojo-*.whl"))).namelist())
    shipped = {f"gandojo/pretrained/{p.name}"
               for p in (ROOT / "backend/gandojo/pretrained").glob("*.safetensors")}
    assert shipped and shipped <= names and "gandojo/api/app.py" in names
    embedded = {f"gandojo/datasets/embedded/{p.relative_to(ROOT / 'backend/gandojo/datasets/embedded').as_posix()}"
                for p in (ROOT / "backend/gandojo/datasets/embedded").glob("*/*.gz")}
    assert len(embedded) == 8 and embedded <= names  # MNIST + Fashion-MNIST work on first start
    assert "gandojo/datasets/embedded/SHA256SUMS" in names and "gandojo/cli/__init__.py" in names
    assert (app / "frontend" / "index.html").is_file()  # served from GANDOJO_FRONTEND=/app/frontend
