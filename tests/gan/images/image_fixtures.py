"""Helpers for the image-GAN tests: synthetic labelled 28×28 data, written in memory or as IDX files.

The synthetic "digits" are learnable in seconds: class k is a bright horizontal bar whose row
depends on k (k < 5) or a vertical bar whose column depends on k (k ≥ 5), jittered by ±1 pixel,
with faint noise. Nothing here needs a dataset on disk or a network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gandojo.gan.images.data import FILES
from gandojo.gan.images.idx import write_idx

DATA = Path(__file__).with_name("data")


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n uint8 images (n, 28, 28) and labels (n,): bars at class-dependent places."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    x = (rng.random((n, 28, 28)) * 30).astype(np.uint8)
    for i, k in enumerate(labels):
        pos = 4 + 4 * (k % 5) + int(rng.integers(-1, 2))
        if k < 5:
            x[i, pos:pos + 2, 4:24] = 255
        else:
            x[i, 4:24, pos:pos + 2] = 255
    return x, labels.astype(np.uint8)


def write_source(root: Path, name: str = "mnist", source: str = "download", n_train: int = 300,
                 n_test: int = 100, seed: int = 0) -> Path:
    """Synthetic IDX files as <root>/<name>/<source>/ (all four standard names)."""
    d = root / name / source
    for split, n, s in (("train", n_train, seed), ("test", n_test, seed + 1)):
        x, y = synthetic_digits(n, s)
        write_idx(d / FILES[split][0], x)
        write_idx(d / FILES[split][1], y)
    return d
