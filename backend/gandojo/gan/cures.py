"""Cures for mode collapse used by Trainer2D: instance noise, PacGAN packing, unrolled D.

(Label smoothing lives in `losses.d_loss(..., smooth)`, the R1 penalty in `losses.r1_penalty`.)
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call

from .config import GanConfig

Tensor = torch.Tensor


def instance_noise_sigma(cfg: GanConfig, iteration: int) -> float:
    """σ of the instance noise at `iteration`: constant, or falling linearly to 0 (anneal)."""
    if cfg.instance_noise <= 0:
        return 0.0
    if cfg.instance_noise_anneal <= 0:
        return cfg.instance_noise
    return cfg.instance_noise * max(0.0, 1.0 - iteration / cfg.instance_noise_anneal)


def add_noise(x: Tensor, sigma: float, rng: torch.Generator) -> Tensor:
    """x + σ·ε with ε ~ N(0, I) drawn from `rng`; x itself when σ = 0 (no draw)."""
    if sigma <= 0:
        return x
    return x + sigma * torch.randn(x.shape, generator=rng, device=x.device, dtype=x.dtype)


def pack_rows(x: Tensor, pack: int) -> Tensor:
    """(N·pack, 2) samples -> (N, 2·pack): consecutive samples side by side (PacGAN)."""
    return x if pack == 1 else x.reshape(-1, x.shape[1] * pack)


def replicate_points(x: Tensor, pack: int) -> Tensor:
    """(N, 2) single points -> (N, 2·pack): each point repeated pack times (D of one point)."""
    return x if pack == 1 else x.repeat(1, pack)


def per_sample(values: Tensor, pack: int) -> Tensor:
    """One value per pack (N, 1) -> one per sample (N·pack, 1), for display."""
    return values if pack == 1 else values.repeat_interleave(pack, dim=0)


def unrolled_d_params(d: nn.Module, d_loss: Callable[[Tensor, Tensor], Tensor],
                      real: Tensor, fake: Tensor, steps: int, lr: float) -> dict[str, Tensor]:
    """D's parameters after `steps` differentiable SGD steps on d_loss(D(real), D(fake)).

    Unrolled GAN (Metz et al. 2017): `fake` stays attached to G, and every step keeps its graph
    (create_graph=True), so G's loss through the returned parameters sees how D would react.
    The module `d` is not changed. Inputs are already packed; penalties are left out.
    """
    params = dict(d.named_parameters())
    n_real = real.shape[0]
    x = torch.cat([real, fake])
    for _ in range(steps):
        out = functional_call(d, params, (x,))
        loss = d_loss(out[:n_real], out[n_real:])
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {name: p - lr * g for (name, p), g in zip(params.items(), grads)}
    return params
