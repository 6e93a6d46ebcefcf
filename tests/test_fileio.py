"""The file-IO floor: the one atomic writer, the safetensors header parser, PNG encoding."""

import os

import numpy as np
import pytest

from gandojo.fileio import (HeaderError, atomic_file, atomic_write, header_bytes, parse_header, png_bytes,
                            read_header, tensor_specs)


def test_write_atomic_replaces_whole_files(tmp_path):
    p = tmp_path / "a" / "ck.safetensors"
    atomic_write(p, b"one")
    atomic_write(p, b"two")
    assert p.read_bytes() == b"two"
    assert [f.name for f in p.parent.iterdir()] == ["ck.safetensors"]
    assert oct(os.stat(p).st_mode & 0o777) == oct(0o644)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "x.bin"
    atomic_write(p, b"old")
    with pytest.raises(RuntimeError):
        with atomic_file(p) as fh:
            fh.write(b"half of the new")
            raise RuntimeError("crash in the middle")
    assert p.read_bytes() == b"old"
    assert [f.name for f in tmp_path.iterdir()] == ["x.bin"]


def _file(meta: dict, tensors: dict) -> bytes:
    header, body, off = {"__metadata__": meta}, b"", 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        body, off = body + raw, off + len(raw)
    return header_bytes(header) + body


def test_header_parsed_and_checked():
    data = _file({"format": "gandojo-test-1"}, {"w": ("F32", [2], b"\0" * 8)})
    header = read_header(data)
    assert header["__metadata__"] == {"format": "gandojo-test-1"}
    assert tensor_specs(header) == {"w": ("F32", [2])}
    assert parse_header(data, len(data), ("gandojo-test-1",)) == header
    with pytest.raises(HeaderError, match="truncated or padded"):
        read_header(data[:-1])
    with pytest.raises(HeaderError, match="metadata.format"):
        read_header(_file({"format": "other"}, {}))
    with pytest.raises(HeaderError, match="'w'"):
        read_header(_file({"format": "gandojo-x"}, {"w": ("F32", [3], b"\0" * 8)}))


def test_png_bytes_scale():
    png = png_bytes(np.zeros((3, 5), np.uint8), scale=2)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 10 and int.from_bytes(png[20:24], "big") == 6  # IHDR w, h
