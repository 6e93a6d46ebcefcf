"""What a page shows of an image GAN: fixed-noise sample grids, class grids, latent interpolation.

Everything here only reads the trainer (G in eval mode through `trainer.generate`), so looking at
the model never changes its training. How often a grid is drawn is `engine.grid_budget`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

GRID_COLS = 8
CLASS_GRID_SEED_OFFSET = 7  # the noise of a one-class grid comes from seed + 7 (CPU generator)


@dataclass(frozen=True)
class SampleGrid:
    """Images (rows·cols, 28, 28) in [0, 1] on the trainer's device, row-major; labels for cgan."""

    images: torch.Tensor
    rows: int
    cols: int
    labels: torch.Tensor | None


def fixed_noise(seed: int, latent_dim: int, cols: int, n_classes: int,
                device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None, int]:
    """The grid's fixed noise from seed + 2 (CPU: the same grid on every device), its labels and rows:
    cols×cols samples, or for a conditional G one row per class sharing the columns' noise."""
    g = torch.Generator().manual_seed(seed + 2)
    if n_classes:
        z = torch.randn(cols, latent_dim, generator=g).repeat(n_classes, 1)
        labels = torch.arange(n_classes).repeat_interleave(cols).to(device)
        return z.to(device), labels, n_classes
    return torch.randn(cols * cols, latent_dim, generator=g).to(device), None, cols


def class_noise(seed: int, latent_dim: int, label: int, cols: int,
                device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """cols×cols fixed noise vectors (seed + 7, CPU) all conditioned on class `label`."""
    g = torch.Generator().manual_seed(seed + CLASS_GRID_SEED_OFFSET)
    z = torch.randn(cols * cols, latent_dim, generator=g).to(device)
    return z, torch.full((cols * cols,), label, dtype=torch.long, device=device)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between z0 and z1 at times t (T, 1); linear when they are parallel."""
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if float(omega.abs()) < 1e-6:
        return (1 - t) * z0 + t * z1
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * z0 + (torch.sin(t * omega) / so) * z1


def interpolate(trainer, z: torch.Tensor, labels: torch.Tensor | None, a: int, b: int,
                steps: int = 10, method: Literal["linear", "slerp"] = "slerp") -> torch.Tensor:
    """Images (steps, 28, 28) on the path between samples a and b of the grid drawn from `z`
    (and, for cgan, `labels`: the one-hot labels are interpolated too, morphing one class into another)."""
    n = z.shape[0]
    if not (0 <= a < n and 0 <= b < n):
        raise IndexError(f"grid indices must be in [0, {n - 1}]")
    if not 2 <= steps <= 64:
        raise ValueError("steps must be in [2, 64]")
    t = torch.linspace(0, 1, steps, device=z.device).unsqueeze(1)
    z0, z1 = z[a], z[b]
    path = slerp(z0, z1, t) if method == "slerp" else (1 - t) * z0 + t * z1
    y = None
    if labels is not None and trainer.n_classes:
        eye = torch.eye(trainer.n_classes, device=z.device)
        y = (1 - t) * eye[labels[a]] + t * eye[labels[b]]
    return trainer.generate(path, y)
