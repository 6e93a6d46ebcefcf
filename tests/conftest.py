"""Shared fixtures: a real uvicorn server in a subprocess, and torch set up like the server."""

from __future__ import annotations

import pytest
import torch

from servers import free_port, image_data_dir, start_server, stop_server

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def image_data_root() -> str:
    """The data directory of `image_data_dir` (16 real MNIST digits) for in-process image tests."""
    return image_data_dir()


@pytest.fixture(scope="session")
def step_compiler():
    """One StepCompiler for the whole run: a 2D step compiled once (tens of seconds of CPU) serves
    tests/engine/test_compiler.py's session and tests/gan/test_compiled.py's comparisons."""
    from gandojo.engine.compiler import StepCompiler

    return StepCompiler()


@pytest.fixture(scope="session")
def server() -> str:
    """Base URL of a real uvicorn server shared by the API and end-to-end tests."""
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="module")
def make_server():
    """make_server(*cli_args, **env) -> base URL of a server with special settings (auth, origins,
    tiny limits), e.g. make_server("--auth", "pw", GANDOJO_MAX_BATCH=64); stopped after the module."""
    procs = []

    def make(*extra: str, **env) -> str:
        port = free_port()
        procs.append(start_server(port, *extra, env={k: str(v) for k, v in env.items()}))
        return f"http://127.0.0.1:{port}"
    yield make
    for proc in procs:
        stop_server(proc)
