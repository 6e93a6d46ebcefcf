"""IDX files (the MNIST format): read and validate, write atomically (`fileio.atomic_write`); gzip or raw, by content.

An IDX file is two zero bytes, a type byte (0x08 = unsigned byte, the only type MNIST uses),
the number of dimensions, one big-endian uint32 per dimension, then the values. Whether a file is
gzipped is told by its first two bytes, not by its name. Every failure raises `DataError` whose
message names the file and says what was wrong.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ..fileio import atomic_write

UBYTE = 0x08
MAX_BYTES = 256 * 1024 * 1024  # a decompressed IDX larger than this is refused (MNIST train: 47 MB)
GZIP_MAGIC = b"\x1f\x8b"


class DataError(ValueError):
    """A data file that is missing or cannot be used; the message names it and says what to do."""


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            if head == GZIP_MAGIC:
                with gzip.GzipFile(fileobj=fh) as gz:
                    data = gz.read(limit + 1)
            else:
                data = fh.read(limit + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read it ({exc}); the file is corrupt or truncated") from None
    if len(data) > limit:
        raise DataError(f"{path}: larger than {limit} bytes once decompressed; not an MNIST-sized IDX file")
    return data


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array in IDX bytes `data` (uint8, C order); DataError naming `name` when malformed."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{name}: not an IDX file (it must start with two zero bytes)")
    if data[2] != UBYTE:
        raise DataError(f"{name}: IDX value type 0x{data[2]:02x} is not supported (only 0x08, unsigned byte)")
    ndim = data[3]
    if not 1 <= ndim <= 4:
        raise DataError(f"{name}: IDX with {ndim} dimensions (expected 1 to 4)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated IDX header")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != expected:
        raise DataError(f"{name}: IDX header says {dims} = {expected} values but the file holds "
                        f"{len(data) - header}; the file is truncated or corrupt")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path: str | os.PathLike, limit: int = MAX_BYTES) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a read-only uint8 array."""
    path = Path(path)
    return parse_idx(_read_bytes(path, limit), str(path))


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array with 1 to 4 dimensions."""
    arr = np.ascontiguousarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"IDX writing supports uint8 only, got {arr.dtype}")
    if not 1 <= arr.ndim <= 4:
        raise ValueError(f"IDX arrays have 1 to 4 dimensions, got {arr.ndim}")
    header = bytes([0, 0, UBYTE, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    return header + arr.tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write `array` as IDX, atomically; gzipped when `compress` (default: the name ends in .gz)."""
    path = Path(path)
    data = idx_bytes(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    return atomic_write(path, data)
