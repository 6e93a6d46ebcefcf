"""The feature classifier's cache: the safetensors round trip, reuse, cache misuse."""

import pytest
import torch
from image_fixtures import _isolated_data_dir, _test_data, tiny_classifier, train_data  # noqa: F401
from image_fixtures import write_source

from gandojo.datasets.idx import DataError
from gandojo.engine.classifier_cache import cache_path, cached_classifier, load_classifier, save_classifier


def test_cache_round_trip_and_reuse(tmp_path):
    root = tmp_path / "data"
    write_source(root, n_train=200, n_test=50)
    seen = []
    fc = cached_classifier("mnist", root, progress=lambda f, m: seen.append(f), epochs=1)
    assert seen[-1] == 1.0 and cache_path("mnist", "download", root).is_file()
    again = cached_classifier("mnist", root, progress=lambda f, m: pytest.fail("retrained"))
    assert again.test_accuracy == fc.test_accuracy and (again.n_train, again.n_test) == (200, 50)
    x = torch.rand(4, 28, 28)
    assert torch.equal(fc.model(x), again.model(x))


def test_bad_cache_files(tmp_path, tiny_classifier):
    bad = tmp_path / "c.safetensors"
    bad.write_bytes(b"garbage")
    with pytest.raises(DataError, match="c.safetensors"):
        load_classifier(bad)
    path = save_classifier(tiny_classifier, tmp_path / "ok.safetensors")
    assert load_classifier(path).describe()["n_train"] == tiny_classifier.n_train
