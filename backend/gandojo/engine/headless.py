"""Training an image GAN for whole epochs without a page (the `gandojo train` loop), with callbacks.

`save_epoch` writes what a pre-training run leaves behind after each epoch:
`checkpoint-epoch-NNN.safetensors`, `last.safetensors` and `samples-epoch-NNN.png` (the fixed grid).
An epoch is one pass over the training images by D (steps_per_epoch = N / batch_size D batches);
the record of an epoch averages the losses and D accuracies of all its iterations.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch

from ..fileio import atomic_write, png_bytes
from ..gan.images.sampling import grid_array
from ..gan.images.trainer import ImageTrainer
from .image_checkpoint import save_checkpoint


@dataclass
class EpochRecord:
    epoch: int
    iteration: int
    images_seen: int
    d_loss: float
    g_loss: float
    d_real_acc: float
    d_fake_acc: float
    seconds: float
    images_per_sec: float

    def as_dict(self) -> dict:
        return asdict(self)


class _Mean:
    """Running sums of per-iteration stats kept as tensors (no device sync per step)."""

    def __init__(self) -> None:
        self.sums: torch.Tensor | None = None
        self.n = 0

    def add(self, t: ImageTrainer) -> None:
        v = t.stat_tensors()
        if v is not None:
            self.sums = v if self.sums is None else self.sums + v
            self.n += 1

    def values(self) -> list[float]:
        """Means of d_loss, g_loss, d_real_acc, d_fake_acc (NaN before any full iteration)."""
        if self.sums is None:
            return [float("nan")] * 4
        return (self.sums[:4] / self.n).tolist()


def train_epochs(trainer: ImageTrainer, epochs: int,
                 on_progress: Callable[[float, ImageTrainer], None] | None = None,
                 on_epoch: Callable[[EpochRecord, ImageTrainer], None] | None = None,
                 cancel: Callable[[], bool] | None = None, report_every: int = 10) -> list[EpochRecord]:
    """Train `epochs` more epochs; `on_progress(epochs done as a float, trainer)` every
    `report_every` iterations, `on_epoch(record, trainer)` at each epoch's end."""
    if epochs < 1:
        raise ValueError("epochs must be at least 1")
    n = trainer.data.count
    records = []
    for _ in range(epochs):
        target = (trainer.images_seen // n + 1) * n
        mean, t0, seen0 = _Mean(), time.perf_counter(), trainer.images_seen
        while trainer.images_seen < target:
            if cancel and cancel():
                return records
            trainer.iterate()
            mean.add(trainer)
            if on_progress and trainer.iteration % report_every == 0:
                on_progress(trainer.images_seen / n, trainer)
        dt = time.perf_counter() - t0
        d, g, ra, fa = mean.values()
        rec = EpochRecord(trainer.images_seen // n, trainer.iteration, trainer.images_seen, d, g, ra, fa,
                          dt, (trainer.images_seen - seen0) / max(dt, 1e-9))
        records.append(rec)
        if on_epoch:
            on_epoch(rec, trainer)
    return records


def save_epoch(trainer: ImageTrainer, out_dir: str | os.PathLike, epoch: int) -> Path:
    """Checkpoint (numbered and `last`) and the fixed-noise grid as PNG, all written atomically."""
    out = Path(out_dir)
    save_checkpoint(trainer, out / f"checkpoint-epoch-{epoch:03d}.safetensors")
    last = save_checkpoint(trainer, out / "last.safetensors")
    grid = trainer.sample_grid()
    atomic_write(out / f"samples-epoch-{epoch:03d}.png", png_bytes(grid_array(grid.images, grid.cols), scale=2))
    return last
