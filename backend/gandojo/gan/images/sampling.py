"""Sampling from a trained image GAN: DRS (via gan.drs) and sample grids as pictures (uint8 arrays).

DRS (Azadi et al. 2019) as in `gan.drs.drs_filter`: D̃*_M starts as the maximum logit over a
burn-in batch and only grows; each batch is accepted with probability σ(F(x)), γ = the chosen
percentile of F in that batch. D's "probability" is the loss's (`GanLoss.prob`), so WGAN/hinge
critics use σ(score) and f-GANs their own mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..drs import drs_filter

Progress = Callable[[float, str], None]


@dataclass
class DrsSamples:
    images: torch.Tensor  # (n, 28, 28) in [0, 1], CPU
    labels: torch.Tensor | None
    acceptance: float  # accepted / drawn after the burn-in
    drawn: int
    running_max: float
    gamma: float  # γ of the last batch
    complete: bool  # False when max_draws ran out before n were accepted


def drs_message(accepted: int, n: int, drawn: int) -> str:
    """'DRS: 10,000/10,000 kept (10,010 of 21,000 drawn accepted)': the kept count never exceeds n
    (the last batch may accept more than are still needed; the extra are dropped)."""
    return f"DRS: {min(accepted, n):,}/{n:,} kept ({accepted:,} of {drawn:,} drawn accepted)"


def drs_sample(trainer, n: int, percentile: float = 95.0, burn_in: int = 1000, batch: int = 500,
               max_draws: int | None = None, generator: torch.Generator | None = None,
               progress: Progress | None = None) -> DrsSamples:
    """n samples of `trainer` kept by discriminator rejection sampling."""
    if not 0.0 <= percentile <= 100.0:
        raise ValueError("percentile must be in [0, 100]")
    g = generator or torch.Generator(trainer.device).manual_seed(trainer.seed + 5)
    coin = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,), generator=g, device=g.device)))
    max_draws = max_draws or 50 * n + burn_in

    def draw(m: int):
        labels = (torch.randint(0, trainer.n_classes, (m,), generator=g, device=g.device)
                  if trainer.n_classes else None)
        x, labels = trainer.sample(m, labels, generator=g)
        return x, labels, trainer.d_prob(x, labels).cpu()

    _, _, p0 = draw(burn_in)
    running = float(torch.logit(p0.double().clamp(1e-7, 1 - 1e-7)).max())
    keep, keep_labels, drawn, accepted, gamma = [], [], 0, 0, float("nan")
    while accepted < n and drawn < max_draws:
        x, labels, p = draw(batch)
        res = drs_filter(p, running, percentile, generator=coin)
        running, gamma, drawn = res.running_max, res.gamma, drawn + batch
        mask = res.accepted
        keep.append(x.cpu()[mask])
        if labels is not None:
            keep_labels.append(labels.cpu()[mask])
        accepted += int(mask.sum())
        if progress:
            progress(min(1.0, accepted / n), drs_message(accepted, n, drawn))
    images = torch.cat(keep)[:n] if keep else torch.zeros(0, 28, 28)
    labels = torch.cat(keep_labels)[:n] if keep_labels else None
    return DrsSamples(images, labels, accepted / max(1, drawn), drawn, running, gamma, accepted >= n)


def draw_samples(trainer, n: int, drs_percentile: float | None = None,
                 generator: torch.Generator | None = None, progress: Progress | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor | None, float | None]:
    """n samples (CPU, [0, 1]) and their labels (cgan), drawn 1000 at a time, or kept by DRS at
    `drs_percentile` (then also its acceptance; None without DRS)."""
    g = generator or torch.Generator(trainer.device).manual_seed(trainer.seed + 6)
    if drs_percentile is not None:
        res = drs_sample(trainer, n, drs_percentile, generator=g, progress=progress)
        return res.images, res.labels, res.acceptance
    images, labels = [], []
    for s in range(0, n, 1000):
        x, y = trainer.sample(min(1000, n - s), generator=g)
        images.append(x.cpu())
        labels.append(None if y is None else y.cpu())
        if progress:
            progress(min(1.0, (s + 1000) / n), f"sampled {min(n, s + 1000)}/{n}")
    return torch.cat(images), None if labels[0] is None else torch.cat(labels), None


# ------------------------------------------------------------------ pictures
def grid_array(images: torch.Tensor, cols: int, pad: int = 1, value: int = 32) -> np.ndarray:
    """[0, 1] images (N, 28, 28) tiled row-major into one uint8 picture with `pad` pixel gaps."""
    x = (images.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    n, h, w = x.shape
    cols = max(1, min(cols, n)) if n else 1
    rows = max(1, -(-n // cols))
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), value, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = x[i]
    return out
