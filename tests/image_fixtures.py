"""Helpers for the image tests: synthetic labelled 28×28 data, written in memory or as IDX files, and
the fixtures the image test folders share (a conftest imports them: `from image_fixtures import ...`).

The synthetic "digits" are learnable in seconds: class k is a bright horizontal bar whose row
depends on k (k < 5) or a vertical bar whose column depends on k (k ≥ 5), jittered by ±1 pixel,
with faint noise. Nothing here needs a dataset on disk or a network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gandojo.datasets.idx import write_idx
from gandojo.datasets.images import FILES, from_arrays
from gandojo.gan.images.classifier import FeatureClassifier, accuracy, train_lenet

DATA = Path(__file__).parent / "datasets" / "data"  # 16 real MNIST digits (IDX, gzip)


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n uint8 images (n, 28, 28) and labels (n,): bars at class-dependent places."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    x = (rng.random((n, 28, 28)) * 30).astype(np.uint8)
    for i, k in enumerate(labels):
        pos = 4 + 4 * (k % 5) + int(rng.integers(-1, 2))
        if k < 5:
            x[i, pos:pos + 2, 4:24] = 255
        else:
            x[i, 4:24, pos:pos + 2] = 255
    return x, labels.astype(np.uint8)


def write_source(root: Path, name: str = "mnist", source: str = "download", n_train: int = 300,
                 n_test: int = 100, seed: int = 0) -> Path:
    """Synthetic IDX files as <root>/<name>/<source>/ (all four standard names)."""
    d = root / name / source
    for split, n, s in (("train", n_train, seed), ("test", n_test, seed + 1)):
        x, y = synthetic_digits(n, s)
        write_idx(d / FILES[split][0], x)
        write_idx(d / FILES[split][1], y)
    return d


@pytest.fixture(scope="session")
def train_data():
    x, y = synthetic_digits(600, 0)
    return from_arrays(x, y, name="mnist")


@pytest.fixture(scope="session", name="test_data")
def _test_data():  # not named test_*: a test module that imports it must not collect it
    x, y = synthetic_digits(200, 1)
    return from_arrays(x, y, name="mnist", split="test")


@pytest.fixture(scope="session")
def tiny_classifier(train_data, test_data) -> FeatureClassifier:
    model = train_lenet(train_data.images, train_data.labels, epochs=3, batch=32, seed=0, augment=False)
    acc = accuracy(model, test_data.images, test_data.labels)
    return FeatureClassifier(model, "mnist", "memory", train_data.count, test_data.count, acc, 3)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """No test reads or writes the user's real data cache, and none falls back on the embedded
    default unless it asks for it (tests/datasets/test_embedded.py covers that), so "no data"
    stays testable."""
    monkeypatch.delenv("GANDOJO_DATA_DIR", raising=False)
    monkeypatch.setenv("GANDOJO_DATA", str(tmp_path / "gandojo-data"))
    monkeypatch.setenv("GANDOJO_EMBEDDED", "0")
