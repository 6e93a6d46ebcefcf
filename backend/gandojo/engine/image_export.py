"""Exports of a trained image GAN: n samples as a PNG grid and an .npz, in memory or written atomically."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..fileio import atomic_write, png_bytes
from ..gan.images.sampling import Progress, draw_samples, grid_array


@dataclass(frozen=True)
class ExportResult:
    png: Path
    npz: Path
    n: int
    drs_acceptance: float | None


@dataclass(frozen=True)
class ExportBytes:
    """An export in memory: the .npz and the PNG grid as bytes."""

    npz: bytes
    png: bytes
    n: int
    drs_acceptance: float | None


def export_bytes(trainer, n: int = 10_000, drs_percentile: float | None = None,
                 progress: Progress | None = None, generator: torch.Generator | None = None) -> ExportBytes:
    """n samples as an .npz and a PNG grid (100 per row), in memory.

    The npz holds `images` (n, 28, 28) uint8, `labels` (cgan / DRS on cgan), and string/number
    metadata (dataset, model, loss, seed, iteration, drs_percentile, drs_acceptance); it loads with
    numpy's default allow_pickle=False.
    """
    if not 1 <= n <= 100_000:
        raise ValueError("n must be in [1, 100000]")
    g = generator or torch.Generator(trainer.device).manual_seed(trainer.seed + 6)
    images, labels, acceptance = draw_samples(trainer, n, drs_percentile, g,
                                              (lambda f, m: progress(0.9 * f, m)) if progress else None)
    u8 = (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    cfg = trainer.config
    meta = {"dataset": np.array(trainer.data.name), "model": np.array(cfg.model),
            "loss": np.array(cfg.loss), "seed": np.array(trainer.seed),
            "iteration": np.array(trainer.iteration),
            "drs_percentile": np.array(np.nan if drs_percentile is None else drs_percentile),
            "drs_acceptance": np.array(np.nan if acceptance is None else acceptance)}
    if labels is not None:
        meta["labels"] = labels.numpy().astype(np.int64)
    buf = io.BytesIO()
    np.savez_compressed(buf, images=u8, **meta)
    return ExportBytes(buf.getvalue(), png_bytes(grid_array(images, 100)), len(u8), acceptance)


def export_samples(trainer, out_dir: str | os.PathLike, n: int = 10_000, stem: str = "samples",
                   drs_percentile: float | None = None, progress: Progress | None = None,
                   generator: torch.Generator | None = None) -> ExportResult:
    """`export_bytes` written as `<stem>.png` and `<stem>.npz` in `out_dir`, both atomically."""
    if not stem.replace("-", "").replace("_", "").isalnum():
        raise ValueError("stem may hold letters, digits, '-' and '_' only")
    files = export_bytes(trainer, n, drs_percentile, progress, generator)
    out = Path(out_dir)
    npz = atomic_write(out / f"{stem}.npz", files.npz)
    png = atomic_write(out / f"{stem}.png", files.png)
    if progress:
        progress(1.0, f"wrote {png.name} and {npz.name}")
    return ExportResult(png, npz, files.n, files.drs_acceptance)
