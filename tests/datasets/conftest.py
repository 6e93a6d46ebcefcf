"""Fixtures for the data-acquisition tests: synthetic data and an isolated data directory."""

from image_fixtures import _isolated_data_dir, _test_data, train_data  # noqa: F401
