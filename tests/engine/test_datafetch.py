"""The server's "Get the full dataset" job against a loopback HTTP server (never the internet):
progress over the four files up to 100 %, checksums verified, the new set used afterwards; a
corrupt mirror or no network fails in one sentence and leaves the set in use as it was."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import time

import numpy as np
import pytest

from gandojo.engine import datafetch
from gandojo.engine.jobs import JobRegistry
from gandojo.datasets.images import ALL_FILES, FILES, find_sources, load_split
from gandojo.datasets.fetch import RemoteFile
from gandojo.datasets.idx import idx_bytes

import gzip


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tmp_path):
    """A loopback file server over tmp_path/www holding a 120-image MNIST-format set, and the
    RemoteFile list (sizes, MD5, SHA-256) that publishes it."""
    www = tmp_path / "www"
    www.mkdir()
    rng = np.random.default_rng(0)
    remote = []
    for split, n in (("train", 120), ("test", 30)):
        arrays = (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8))
        for fname, arr in zip(FILES[split], arrays):
            data = gzip.compress(idx_bytes(arr), mtime=0)
            (www / fname).write_bytes(data)
            remote.append(RemoteFile(fname, hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest(),
                                     len(data)))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}/", tuple(remote)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("GANDOJO_DATA_DIR", raising=False)
    monkeypatch.delenv("GANDOJO_EMBEDDED", raising=False)


def _finish(jobs: JobRegistry, job, timeout: float = 30.0):
    seen = []
    end = time.monotonic() + timeout
    while job.state == "running":
        seen.append(job.progress)
        assert time.monotonic() < end, job.describe()
        time.sleep(0.005)
    return seen


def test_the_download_job_fetches_verifies_and_switches_the_source(mirror, tmp_path):
    _, base, remote = mirror
    root = tmp_path / "data"
    assert find_sources("mnist", root)[0].source == "embedded"
    jobs = JobRegistry()
    reports = []
    fn = datafetch.download_job("mnist", root, (base,), 5.0, remote)
    result = fn(lambda f, m: reports.append((f, m)), threading.Event())
    fracs = [f for f, _ in reports]
    assert fracs == sorted(fracs) and fracs[-1] == pytest.approx(1.0) and len(fracs) >= 5
    assert any("train-images-idx3-ubyte.gz" in m for _, m in reports)
    assert (result["source"], result["count"], result["test_count"]) == ("download", 120, 30)
    assert load_split("mnist", "train", root).source == "download"  # new sessions use it
    again = datafetch.start_download(jobs, "mnist", root, (base,), 5.0, remote)  # already complete
    _finish(jobs, again)
    assert again.state == "done" and again.progress == 1.0


def test_one_job_per_dataset_and_a_corrupt_mirror_fails_in_one_sentence(mirror, tmp_path):
    www, base, remote = mirror
    (www / ALL_FILES[0]).write_bytes(b"not the published file")
    jobs = JobRegistry()
    root = tmp_path / "data"
    job = datafetch.start_download(jobs, "mnist", root, (base,), 5.0, remote)
    assert datafetch.current_job(jobs, "mnist") in (job, None)
    _finish(jobs, job)
    assert job.state == "failed"
    assert job.message.startswith("The download of MNIST digits failed (")
    assert job.message.endswith("so the embedded set of 9,000 images stays in use.") and "\n" not in job.message
    assert not (root / "mnist" / "download" / ALL_FILES[0]).exists()  # nothing unverified kept
    assert load_split("mnist", "train", root).source == "embedded"


def test_no_network_is_told_as_such(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    jobs = JobRegistry()
    job = datafetch.start_download(jobs, "fashion-mnist", tmp_path / "data", (closed, closed), 2.0)
    _finish(jobs, job)
    assert job.state == "failed" and job.message == (
        "No network: none of the 2 download mirrors of Fashion-MNIST could be reached, so the "
        "embedded set of 9,000 images stays in use.")
    with pytest.raises(KeyError):
        datafetch.start_download(jobs, "emnist", tmp_path / "data")


def test_a_reset_after_the_download_trains_on_the_full_set(mirror, tmp_path):
    from gandojo.engine.image_session import ImageSession
    from gandojo.gan.images.config import default_image_config
    from gandojo.gan.images.trainer import ImageTrainer

    _, base, remote = mirror
    root = tmp_path / "data"
    data = load_split("mnist", "train", root)
    assert data.source == "embedded"
    s = ImageSession("x", "tok", ImageTrainer(data, default_image_config(batch_size=16), 1), data_root=root)
    try:
        jobs = JobRegistry()
        job = datafetch.start_download(jobs, "mnist", root, (base,), 5.0, remote)
        _finish(jobs, job)
        assert job.state == "done", job.message
        info = s.command("reset").result(60)
        assert (info["data"]["source"], info["data"]["count"]) == ("download", 120)
        info = s.command("reset", seed=4).result(60)  # nothing better since: the same set stays
        assert (info["data"]["source"], info["seed"]) == ("download", 4)
    finally:
        s.close()


def test_with_no_copy_at_all_the_sentence_says_so(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("GANDOJO_EMBEDDED", "0")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/"
    jobs = JobRegistry()
    job = datafetch.start_download(jobs, "mnist", tmp_path / "data", (closed,), 2.0)
    _finish(jobs, job)
    assert job.message == ("No network: the download mirror of MNIST digits could not be reached, "
                           "and no other copy is on this server.")
