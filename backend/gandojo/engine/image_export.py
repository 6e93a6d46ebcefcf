"""Exports of a trained image GAN: n samples as a PNG grid and an .npz, both written atomically."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..fileio import atomic_write, png_bytes
from ..gan.images.sampling import Progress, drs_sample, grid_array


@dataclass(frozen=True)
class ExportResult:
    png: Path
    npz: Path
    n: int
    drs_acceptance: float | None


def export_samples(trainer, out_dir: str | os.PathLike, n: int = 10_000, stem: str = "samples",
                   drs_percentile: float | None = None, progress: Progress | None = None,
                   generator: torch.Generator | None = None) -> ExportResult:
    """Write n samples as `<stem>.png` (a grid, 100 per row) and `<stem>.npz`, both atomically.

    The npz holds `images` (n, 28, 28) uint8, `labels` (cgan / DRS on cgan), and string/number
    metadata (dataset, model, loss, seed, iteration, drs_percentile, drs_acceptance); it loads with
    numpy's default allow_pickle=False.
    """
    if not 1 <= n <= 100_000:
        raise ValueError("n must be in [1, 100000]")
    if not stem.replace("-", "").replace("_", "").isalnum():
        raise ValueError("stem may hold letters, digits, '-' and '_' only")
    out = Path(out_dir)
    g = generator or torch.Generator(trainer.device).manual_seed(trainer.seed + 6)
    acceptance = None
    if drs_percentile is None:
        images, labels = [], []
        for s in range(0, n, 1000):
            x, y = trainer.sample(min(1000, n - s), generator=g)
            images.append(x.cpu())
            labels.append(None if y is None else y.cpu())
            if progress:
                progress(0.9 * min(1.0, (s + 1000) / n), f"sampled {min(n, s + 1000)}/{n}")
        images = torch.cat(images)
        labels = None if labels[0] is None else torch.cat(labels)
    else:
        res = drs_sample(trainer, n, drs_percentile, generator=g,
                         progress=(lambda f, m: progress(0.9 * f, m)) if progress else None)
        images, labels, acceptance = res.images, res.labels, res.acceptance
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
    npz = atomic_write(out / f"{stem}.npz", buf.getvalue())
    png = atomic_write(out / f"{stem}.png", png_bytes(grid_array(images, 100)))
    if progress:
        progress(1.0, f"wrote {png.name} and {npz.name}")
    return ExportResult(png, npz, len(u8), acceptance)
