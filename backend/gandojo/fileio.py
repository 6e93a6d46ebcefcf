"""File IO in one place: the atomic writer, the safetensors header parser, PNG encoding.

* `atomic_file` / `atomic_write`: a temporary dot-file beside the target, fsynced, renamed over it
  (a crash leaves the old file or the new, never half of one); used for checkpoints, saved
  sessions, IDX files, downloads, exports and caches.
* `parse_header`: a safetensors file is an 8-byte little-endian header length N, N bytes of JSON
  (tensor name -> {dtype, shape, data_offsets}, plus `__metadata__` of strings), then the tensor
  data. It checks every entry (known dtype, a shape of non-negative integers whose byte size
  matches its offsets) and that the offsets cover the data exactly; `tensor_specs` lists
  (dtype, shape) per name. JSON only, nothing unpickled, no torch.
* `png_bytes` / `encode_png`: a grayscale uint8 picture, or a drawn Pillow image, as PNG bytes.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np

MAX_HEADER = 1 << 20
ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
            "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


class HeaderError(ValueError):
    """A header that is not a (GAN Dojo) safetensors header; the message says why."""


def parse_header(head: bytes, size: int, formats: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON header of a safetensors file of `size` bytes starting with `head`. Its metadata
    `format` must be one of `formats` (None: any `gandojo-*` format)."""
    if len(head) < 8:
        raise HeaderError("not a safetensors file: shorter than its 8-byte header length")
    n = int.from_bytes(head[:8], "little")
    if n > MAX_HEADER or 8 + n > min(len(head), size):
        raise HeaderError("not a safetensors file: header length out of range")
    try:
        header = json.loads(head[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeaderError(f"not a safetensors file: header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise HeaderError("not a safetensors file: header is not a JSON object")
    meta = header.get("__metadata__")
    fmt = meta.get("format") if isinstance(meta, dict) else None
    if not isinstance(fmt, str) or not (fmt in formats if formats else fmt.startswith("gandojo-")):
        want = " or ".join(map(repr, formats)) if formats else "a gandojo-* format"
        raise HeaderError(f"not a GAN Dojo checkpoint: metadata.format must be {want}")
    if not all(isinstance(v, str) for v in meta.values()):
        raise HeaderError("header metadata values must be strings")
    end = 0
    for name, entry in header.items():
        if name != "__metadata__":
            end = max(end, _entry_end(name, entry))
    if 8 + n + end != size:
        raise HeaderError(f"truncated or padded checkpoint: the file is {size} bytes, its header "
                          f"describes {8 + n + end}")
    return header


def _entry_end(name: str, entry: Any) -> int:
    """Where tensor `name`'s data ends; HeaderError naming it when its entry is inconsistent."""
    ok = (isinstance(entry, dict) and entry.get("dtype") in ITEMSIZE
          and isinstance(shape := entry.get("shape"), list)
          and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
          and isinstance(offs := entry.get("data_offsets"), list) and len(offs) == 2
          and all(isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offs))
    if not ok:
        raise HeaderError(f"tensor {name!r}: needs a known dtype, a shape of non-negative "
                          "integers and two data_offsets")
    if offs[1] - offs[0] != math.prod(shape) * ITEMSIZE[entry["dtype"]]:
        raise HeaderError(f"tensor {name!r}: its data_offsets do not match its shape and dtype")
    return offs[1]


def tensor_specs(header: dict[str, Any]) -> dict[str, tuple[str, list[int]]]:
    """(dtype, shape) of every tensor of a parsed header."""
    return {k: (v["dtype"], list(v["shape"])) for k, v in header.items() if k != "__metadata__"}


def read_header(data: bytes, formats: tuple[str, ...] | None = None) -> dict[str, Any]:
    """`parse_header` of whole safetensors bytes `data`."""
    return parse_header(data[:8 + MAX_HEADER], len(data), formats)


def header_bytes(header: dict[str, Any]) -> bytes:
    """A parsed header encoded again (8-byte length + JSON padded to 8 bytes, as safetensors writes it)."""
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the tensor data 8-byte aligned
    return len(raw).to_bytes(8, "little") + raw


# ------------------------------------------------------------------ writing files
@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write that replaces `path` only when the block ends without an exception:
    a temporary dot-file beside it (`.<name>.<random>.part`), fsynced, then renamed over `path`,
    so a crash (kill -9 included) leaves the old file or the new, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp makes it private; the data is not secret
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (`atomic_file`); returns the path."""
    with atomic_file(path) as fh:
        fh.write(data)
    return Path(path)


def png_bytes(array: np.ndarray, scale: int = 1) -> bytes:
    """A grayscale uint8 picture as PNG, enlarged `scale` times (nearest neighbour)."""
    from PIL import Image  # Pillow is imported only when a PNG is made

    img = Image.fromarray(array, mode="L")
    if scale > 1:
        img = img.resize((array.shape[1] * scale, array.shape[0] * scale), Image.NEAREST)
    return encode_png(img)


def encode_png(img: Any) -> bytes:
    """A Pillow image (drawn elsewhere, e.g. engine/plot2d.py) as PNG bytes."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
