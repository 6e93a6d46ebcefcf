"""Distribution metrics: KL/JS by grid and the mode metrics (VEEGAN/PacGAN quality, coverage by
share and spread), torch in, floats out."""

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


SHARE_MIN = 0.25  # a captured mode receives >= 1/4 of its expected share of the samples
SPREAD_MIN = 0.5  # ... and its samples' std along the mode's long axis is >= 1/2 of the mode's


@dataclass(frozen=True)
class ModeMetrics:
    modes_captured: int
    modes_total: int
    high_quality: float  # fraction of samples within 3 std of their nearest mode
    reverse_kl: float | None  # KL(mode histogram of high-quality samples ‖ uniform), nats
    counts: list[int]  # high-quality samples per mode
    spread: list[float | None]  # per mode: samples' std along its long axis / the mode's std
    captured: list[bool]  # per mode: share and spread both met


def _long_axis_spread(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> float | None:
    """Std of points x (M, 2) along the long axis of a mode with per-axis `std`, over that std.

    For an isotropic mode the long axis is the samples' own principal axis (no direction is
    longer), so a streak fails whichever way it points; None with fewer than two points."""
    if x.shape[0] < 2:
        return None
    d = x - x.mean(0)
    if float(std[0]) == float(std[1]):
        cov = d.T @ d / (x.shape[0] - 1)
        # the samples' spread along their *least* spread axis: a streak of any direction is
        # degenerate along one of the mode's (equally long) axes
        return float(torch.linalg.eigvalsh(cov.double())[0].clamp(min=0).sqrt()) / float(std[0])
    axis = int(std.argmax())
    return float(d[:, axis].std()) / float(std[axis])


def mode_metrics(samples: torch.Tensor, means: torch.Tensor, stds: torch.Tensor,
                 n_std: float = 3.0, weights: torch.Tensor | None = None) -> ModeMetrics:
    """Mode coverage of `samples` (N, 2) against modes `means` ± `stds` (K, 2).

    A sample is high quality when it lies within `n_std` (Mahalanobis, diagonal covariance) of
    its nearest mode (VEEGAN/PacGAN). A mode is captured when (1) its high-quality samples number
    at least SHARE_MIN of its expected count N·w_k (`weights`, uniform by default) and (2) they
    spread over it: their std along the mode's long axis is at least SPREAD_MIN of the mode's std
    there (for isotropic modes, along every direction). A thin streak over part of a mode, or a
    handful of stray samples, does not capture it."""
    means, stds = means.to(samples), stds.to(samples)
    k, n = means.shape[0], samples.shape[0]
    w = torch.full((k,), 1.0 / k) if weights is None else weights.double() / weights.sum()
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
    spread: list[float | None] = []
    captured: list[bool] = []
    for j in range(k):
        enough = n > 0 and int(counts[j]) >= SHARE_MIN * n * float(w[j])
        s = _long_axis_spread(samples[hq & (nearest == j)], means[j], stds[j]) if counts[j] else None
        spread.append(s)
        captured.append(bool(enough and s is not None and s >= SPREAD_MIN))
    return ModeMetrics(sum(captured), k, n_hq / max(1, n), rkl, counts.tolist(), spread, captured)
