"""Fixtures for the image-GAN tests: synthetic data, a tiny classifier, an isolated data dir."""

from __future__ import annotations

import pytest
from image_fixtures import synthetic_digits

from gandojo.gan.images.classifier import FeatureClassifier, accuracy, train_lenet
from gandojo.gan.images.data import from_arrays


@pytest.fixture(scope="session")
def train_data():
    x, y = synthetic_digits(600, 0)
    return from_arrays(x, y, name="mnist")


@pytest.fixture(scope="session")
def test_data():
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
    default unless it asks for it (tests/datasets covers that), so "no data" stays testable."""
    monkeypatch.delenv("GANDOJO_DATA_DIR", raising=False)
    monkeypatch.setenv("GANDOJO_DATA", str(tmp_path / "gandojo-data"))
    monkeypatch.setenv("GANDOJO_EMBEDDED", "0")
