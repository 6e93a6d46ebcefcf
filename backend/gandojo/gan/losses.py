"""GAN losses on raw discriminator outputs (logits / critic scores), in one registry.

`d_loss(real, fake, smooth=0.0)` takes an optional one-sided label smoothing s: D's target for
real samples becomes 1 - s. It changes the BCE losses (minimax, nonsaturating) and LSGAN's real
target; WGAN-GP and hinge have no targets, so smoothing has no effect on them (`smoothable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclass(frozen=True)
class GanLoss:
    """D's loss on (real, fake) outputs, G's loss on fake outputs, D's output as a probability."""

    name: str
    d_loss: Callable[..., Tensor]  # (real, fake, smooth=0.0) -> scalar
    g_loss: Callable[[Tensor], Tensor]
    prob: Callable[[Tensor], Tensor]
    gradient_penalty: bool = False
    smoothable: bool = False  # whether one-sided label smoothing changes d_loss


def _bce_d(r: Tensor, f: Tensor, smooth: float = 0.0) -> Tensor:
    # -t log D(x) - (1 - t) log(1 - D(x)) - log(1 - D(G(z))) with D = sigmoid(logit), t = 1 - s
    if smooth:
        real = (1.0 - smooth) * F.softplus(-r) + smooth * F.softplus(r)
        return real.mean() + F.softplus(f).mean()
    return F.softplus(-r).mean() + F.softplus(f).mean()


def _lsgan_d(r: Tensor, f: Tensor, smooth: float = 0.0) -> Tensor:
    return 0.5 * ((r - (1.0 - smooth)).square().mean() + f.square().mean())


def _wgan_d(r: Tensor, f: Tensor, smooth: float = 0.0) -> Tensor:
    return f.mean() - r.mean()


def _hinge_d(r: Tensor, f: Tensor, smooth: float = 0.0) -> Tensor:
    return F.relu(1 - r).mean() + F.relu(1 + f).mean()


LOSSES: dict[str, GanLoss] = {
    # saturating minimax: G minimises log(1 - D(G(z))) = -softplus(logit)
    "minimax": GanLoss("minimax", _bce_d, lambda f: -F.softplus(f).mean(), torch.sigmoid,
                       smoothable=True),
    # non-saturating: G minimises -log D(G(z))
    "nonsaturating": GanLoss("nonsaturating", _bce_d, lambda f: F.softplus(-f).mean(),
                             torch.sigmoid, smoothable=True),
    "lsgan": GanLoss("lsgan", _lsgan_d, lambda f: 0.5 * (f - 1).square().mean(),
                     lambda x: x.clamp(0.0, 1.0), smoothable=True),
    "wgan-gp": GanLoss("wgan-gp", _wgan_d, lambda f: -f.mean(), torch.sigmoid,
                       gradient_penalty=True),
    "hinge": GanLoss("hinge", _hinge_d, lambda f: -f.mean(), torch.sigmoid),
}


def gradient_penalty(d: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     g: torch.Generator | None = None, alpha: Tensor | None = None) -> Tensor:
    """WGAN-GP: E[(||∇D(x̂)|| - 1)^2] on random interpolates x̂ of real and fake.

    Samples (N, dim), or with leading dims such as K batched members (K, N, dim): one penalty per
    leading index (a scalar for (N, dim)). `alpha` (real.shape[:-1] + (1,)) defaults to uniform
    draws from `g`."""
    if alpha is None:
        alpha = torch.rand(*real.shape[:-1], 1, generator=g, device=real.device)
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    return (grad.norm(dim=-1) - 1).square().mean(dim=-1)


def r1_penalty(out_real: Tensor, x_real: Tensor) -> Tensor:
    """R1 (Mescheder et al. 2018) without its γ/2: E‖∇_x D(x)‖² of D's outputs on real data.

    `out_real` (M, 1) must have been computed from `x_real` (which requires grad). When D sees
    packs, M is the number of packs and the norm is over the whole pack input.
    """
    (grad,) = torch.autograd.grad(out_real.sum(), x_real, create_graph=True)
    return grad.square().sum() / out_real.shape[0]
