"""One data-directory resolver for every command: --data-dir > GANDOJO_DATA_DIR > GANDOJO_DATA >
~/.cache/gandojo/data, checked on `data info`, `data fetch`, `data classifier`, `train`, `export`
and `experiment` (and `serve` in tests/api/test_first_start.py). Three directories hold MNIST sets
of different sizes, so the count a command reports tells which one it read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gandojo.cli import main
from gandojo.datasets.paths import data_dir
from gandojo.datasets.images import FILES
from gandojo.datasets.idx import write_idx

SIZES = {"flag": 48, "data_dir": 40, "data": 32}  # train images in each directory


def write_mnist(root: Path, n_train: int, source: str = "download", n_test: int = 16) -> Path:
    """A complete MNIST source of `n_train` random labelled images under root/mnist/<source>."""
    rng = np.random.default_rng(n_train)
    d = root / "mnist" / source
    for split, n in (("train", n_train), ("test", n_test)):
        write_idx(d / FILES[split][0], rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(d / FILES[split][1], (np.arange(n) % 10).astype(np.uint8))
    return d


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """Three data directories; GANDOJO_DATA_DIR and GANDOJO_DATA set, the embedded default off."""
    out = {k: tmp_path / k for k in SIZES}
    for k, n in SIZES.items():
        write_mnist(out[k], n)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("GANDOJO_DATA_DIR", str(out["data_dir"]))
    monkeypatch.setenv("GANDOJO_DATA", str(out["data"]))
    monkeypatch.setenv("GANDOJO_EMBEDDED", "0")
    return out


def test_the_precedence_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("GANDOJO_DATA_DIR", "GANDOJO_DATA", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert data_dir() == tmp_path / "home" / ".cache" / "gandojo" / "data"
    monkeypatch.setenv("GANDOJO_DATA", str(tmp_path / "old"))
    assert data_dir() == tmp_path / "old"
    monkeypatch.setenv("GANDOJO_DATA_DIR", str(tmp_path / "new"))
    assert data_dir() == tmp_path / "new"
    assert data_dir(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.setenv("GANDOJO_DATA_DIR", "")  # empty counts as unset
    assert data_dir() == tmp_path / "old"


def test_data_info(dirs, capsys):
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert f"data directory: {dirs['data_dir']}" in out and f"train {SIZES['data_dir']:6d}" in out
    assert main(["data", "info", "--data-dir", str(dirs["flag"])]) == 0
    out = capsys.readouterr().out
    assert f"data directory: {dirs['flag']}" in out and f"train {SIZES['flag']:6d}" in out


def test_data_fetch_offline_writes_into_the_resolved_directory(dirs, tmp_path, capsys):
    deb = write_mnist(tmp_path / "deb", 24)  # a folder holding the four IDX files
    assert main(["data", "fetch", "fashion-mnist", "--offline", "--from", str(deb)]) == 0
    assert (dirs["data_dir"] / "fashion-mnist" / "debian" / FILES["train"][0]).is_file()
    assert not (dirs["data"] / "fashion-mnist").exists()
    assert main(["data", "fetch", "fashion-mnist", "--offline", "--from", str(deb),
                 "--data-dir", str(dirs["flag"])]) == 0
    assert (dirs["flag"] / "fashion-mnist" / "debian" / FILES["train"][0]).is_file()


def test_data_classifier_caches_in_the_resolved_directory(dirs, capsys):
    assert main(["data", "classifier", "mnist", "--epochs", "1", "--device", "cpu"]) == 0
    described = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert described["n_train"] == SIZES["data_dir"]
    assert list((dirs["data_dir"] / "classifiers").glob("mnist-download-*.safetensors"))
    assert not (dirs["data"] / "classifiers").exists()


def _train(out: Path, *extra: str) -> int:
    return main(["train", "--model", "cgan", "--epochs", "1", "--batch-size", "16", "--latent-dim", "8",
                 "--device", "cpu", "--out", str(out), *extra])


def test_train_export_and_experiment_read_the_resolved_directory(dirs, tmp_path, monkeypatch, capsys):
    assert _train(tmp_path / "run") == 0
    meta = json.loads((tmp_path / "run" / "config.json").read_text())["dataset"]
    assert (meta["count"], meta["path"]) == (SIZES["data_dir"], str(dirs["data_dir"] / "mnist" / "download"))
    assert _train(tmp_path / "run2", "--data-dir", str(dirs["flag"])) == 0
    assert json.loads((tmp_path / "run2" / "config.json").read_text())["dataset"]["count"] == SIZES["flag"]
    ckpt = tmp_path / "run" / "last.safetensors"
    # only GANDOJO_DATA_DIR has MNIST now: export and experiment succeed only if they read it
    (dirs["data"] / "mnist" / "download" / FILES["train"][0]).unlink()
    assert main(["export", "--checkpoint", str(ckpt), "--n", "20", "--out", str(tmp_path / "x"),
                 "--device", "cpu"]) == 0
    assert (tmp_path / "x" / "samples.npz").is_file()
    assert main(["experiment", "--checkpoint", str(ckpt), "--n-train", "20", "--epochs", "1",
                 "--device", "cpu"]) == 0
    monkeypatch.delenv("GANDOJO_DATA_DIR")  # now GANDOJO_DATA (incomplete) is the directory
    capsys.readouterr()
    assert main(["export", "--checkpoint", str(ckpt), "--n", "20", "--out", str(tmp_path / "y"),
                 "--device", "cpu"]) == 2
    assert str(dirs["data"] / "mnist") in capsys.readouterr().err
