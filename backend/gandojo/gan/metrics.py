"""Distribution metrics: KL/JS by grid and the VEEGAN/PacGAN mode metrics (torch in, floats out)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .datasets import View

GRID_BINS = 20
GRID_EPS = 1e-4


def grid_histogram(x: torch.Tensor, view: View, bins: int = GRID_BINS) -> torch.Tensor:
    """Counts of points on a bins×bins grid over `view`, plus one last cell for points outside it."""
    (x0, x1), (y0, y1) = view
    fx = (x[:, 0] - x0) / (x1 - x0) * bins
    fy = (x[:, 1] - y0) / (y1 - y0) * bins
    inside = (fx >= 0) & (fx <= bins) & (fy >= 0) & (fy <= bins)  # closed upper edges
    cell = fy.floor().clamp(0, bins - 1).long() * bins + fx.floor().clamp(0, bins - 1).long()
    cell = torch.where(inside, cell, torch.full_like(cell, bins * bins))
    return torch.bincount(cell, minlength=bins * bins + 1).double()


def _kl_bits(p: torch.Tensor, q: torch.Tensor) -> float:
    return float((p * (p / q).log2()).sum())


def grid_kl_js(real: torch.Tensor, fake: torch.Tensor, view: View, bins: int = GRID_BINS,
               eps: float = GRID_EPS, real_hist: torch.Tensor | None = None) -> tuple[float, float]:
    """KL(real‖fake) and JS(real, fake) in bits, from smoothed histograms counting every sample.

    `real_hist` (grid_histogram of `real`) may be passed in when the real samples are fixed.
    """
    p = (grid_histogram(real, view, bins) if real_hist is None else real_hist) + eps
    q = grid_histogram(fake, view, bins) + eps
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)
    return _kl_bits(p, q), 0.5 * _kl_bits(p, m) + 0.5 * _kl_bits(q, m)


@dataclass(frozen=True)
class ModeMetrics:
    modes_captured: int
    modes_total: int
    high_quality: float  # fraction of samples within 3 std of their nearest mode
    reverse_kl: float | None  # KL(mode histogram of high-quality samples ‖ uniform), nats
    counts: list[int]  # high-quality samples per mode


def mode_metrics(samples: torch.Tensor, means: torch.Tensor, stds: torch.Tensor,
                 n_std: float = 3.0) -> ModeMetrics:
    """VEEGAN/PacGAN mode coverage of `samples` (N, 2) against modes `means` ± `stds` (K, 2)."""
    means, stds = means.to(samples), stds.to(samples)
    k = means.shape[0]
    z = (samples[:, None, :] - means[None]) / stds[None]  # (N, K, 2)
    dist = z.square().sum(-1).sqrt()  # Mahalanobis distance for diagonal covariances
    nearest_d, nearest = dist.min(dim=1)
    hq = nearest_d <= n_std
    counts = torch.bincount(nearest[hq], minlength=k)
    n_hq = int(hq.sum())
    rkl = None
    if n_hq:
        p = counts.double() / n_hq
        nz = p > 0
        rkl = float((p[nz] * (p[nz] * k).log()).sum())
    return ModeMetrics(int((counts > 0).sum()), k, n_hq / max(1, samples.shape[0]), rkl,
                       counts.tolist())

