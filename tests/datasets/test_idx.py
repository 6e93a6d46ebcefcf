"""IDX files: a small real MNIST file, round trips, and clear errors for broken files."""

import gzip

import numpy as np
import pytest

from gandojo.datasets.idx import DataError, idx_bytes, read_idx, write_idx

from image_fixtures import DATA

FIRST_16_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7]  # MNIST's training set starts so


def test_reads_a_small_real_mnist_file():
    x = read_idx(DATA / "mnist16-images-idx3-ubyte.gz")
    y = read_idx(DATA / "mnist16-labels-idx1-ubyte.gz")
    assert x.shape == (16, 28, 28) and x.dtype == np.uint8
    assert y.tolist() == FIRST_16_LABELS
    assert int(x[0].sum()) == 27525  # the famous first "5": mean pixel 35.108
    assert x[:, 0, :].max() == 0 and x.max() == 255  # empty border, full-intensity strokes


def test_round_trip_gzipped_and_raw(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", a)
    write_idx(tmp_path / "a.idx", a)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    for name in ("a.gz", "a.idx"):
        assert np.array_equal(read_idx(tmp_path / name), a)
    assert not list(tmp_path.glob(".*part"))  # the temporary file was renamed away


def test_gzip_is_told_by_content_not_by_name(tmp_path):
    a = np.ones((3,), dtype=np.uint8)
    (tmp_path / "raw.gz").write_bytes(idx_bytes(a))
    (tmp_path / "zipped.idx").write_bytes(gzip.compress(idx_bytes(a)))
    assert read_idx(tmp_path / "raw.gz").tolist() == [1, 1, 1]
    assert read_idx(tmp_path / "zipped.idx").tolist() == [1, 1, 1]


@pytest.mark.parametrize("data, message", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x00", "two zero bytes"),
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00\x00\x00\x00", "not supported"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "truncated or corrupt"),
])
def test_malformed_files_name_the_file_and_the_fault(tmp_path, data, message):
    path = tmp_path / "broken-images-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(DataError, match=message) as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_corrupt_gzip_and_missing_file(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((100, 28, 28), dtype=np.uint8)))
    bad = tmp_path / "train-images-idx3-ubyte.gz"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="corrupt or truncated") as err:
        read_idx(bad)
    assert "train-images-idx3-ubyte.gz" in str(err.value)
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "nope.gz")


def test_size_limit_refuses_decompression_bombs(tmp_path):
    path = write_idx(tmp_path / "big.gz", np.zeros((1000, 28, 28), dtype=np.uint8))
    with pytest.raises(DataError, match="larger than"):
        read_idx(path, limit=10_000)
