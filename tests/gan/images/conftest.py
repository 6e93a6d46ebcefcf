"""Fixtures for the image-GAN tests (shared with tests/datasets and the image tests elsewhere)."""

from image_fixtures import _isolated_data_dir, _test_data, tiny_classifier, train_data  # noqa: F401
