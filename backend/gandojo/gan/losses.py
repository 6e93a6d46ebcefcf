"""GAN losses on raw discriminator outputs (logits / critic scores), in one registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


@dataclass(frozen=True)
class GanLoss:
    """D's loss on (real, fake) outputs, G's loss on fake outputs, and D's output as a probability."""

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    prob: Callable[[Tensor], Tensor]
    gradient_penalty: bool = False


def _bce_d(r: Tensor, f: Tensor) -> Tensor:
    # -log D(x) - log(1 - D(G(z))) with D = sigmoid(logit)
    return F.softplus(-r).mean() + F.softplus(f).mean()


LOSSES: dict[str, GanLoss] = {
    # saturating minimax: G minimises log(1 - D(G(z))) = -softplus(logit)
    "minimax": GanLoss("minimax", _bce_d, lambda f: -F.softplus(f).mean(), torch.sigmoid),
    # non-saturating: G minimises -log D(G(z))
    "nonsaturating": GanLoss("nonsaturating", _bce_d, lambda f: F.softplus(-f).mean(), torch.sigmoid),
    "lsgan": GanLoss(
        "lsgan",
        lambda r, f: 0.5 * ((r - 1).square().mean() + f.square().mean()),
        lambda f: 0.5 * (f - 1).square().mean(),
        lambda x: x.clamp(0.0, 1.0),
    ),
    "wgan-gp": GanLoss("wgan-gp", lambda r, f: f.mean() - r.mean(), lambda f: -f.mean(),
                       torch.sigmoid, gradient_penalty=True),
    "hinge": GanLoss("hinge", lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean(),
                     lambda f: -f.mean(), torch.sigmoid),
}


def gradient_penalty(d: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     g: torch.Generator) -> Tensor:
    """WGAN-GP: E[(||∇D(x̂)|| - 1)^2] on random interpolates x̂ of real and fake."""
    alpha = torch.rand(real.shape[0], 1, generator=g, device=real.device)
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    return (grad.norm(dim=1) - 1).square().mean()
