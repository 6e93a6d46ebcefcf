"""Read-only probes of a 2D trainer: D heatmap, generator gradients, manifold (tensors out)."""

from __future__ import annotations

import math

from dataclasses import dataclass

import torch

from .datasets import View
from .models import noise_grid
from .trainer import Trainer2D, grad_norm

MANIFOLD_CELLS = 20


def plane_grid(view: View, res: int, device: torch.device) -> torch.Tensor:
    """Cell centres of a res×res grid over `view` as (res*res, 2), row-major with row = y."""
    (x0, x1), (y0, y1) = view
    xs = x0 + (torch.arange(res, device=device) + 0.5) * ((x1 - x0) / res)
    ys = y0 + (torch.arange(res, device=device) + 0.5) * ((y1 - y0) / res)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


@torch.no_grad()
def heatmap(t: Trainer2D, res: int) -> torch.Tensor:
    """D(x) as a probability over the visible plane, (res, res), row = y."""
    grid = plane_grid(t.dataset.view, res, t.device)
    return t.loss.prob(t.d_logits(grid)).view(res, res)


def fakes_with_gradients(t: Trainer2D, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fakes G(z), D's probability on them, and -∂L_G/∂x per fake (the way that lowers G's loss).

    The per-sample gradient is of the summed loss so that its size does not shrink with the batch.
    """
    with torch.no_grad():
        fake = t.G(z)
    x = fake.clone().requires_grad_(True)
    out = t.d_logits(x)
    loss = t.loss.g_loss(out) * x.shape[0]
    (grad,) = torch.autograd.grad(loss, x)
    return fake, t.loss.prob(out.detach()).view(-1), -grad


@torch.no_grad()
def d_prob(t: Trainer2D, x: torch.Tensor) -> torch.Tensor:
    return t.loss.prob(t.d_logits(x)).view(-1)


@torch.no_grad()
def manifold(t: Trainer2D, cells: int = MANIFOLD_CELLS) -> torch.Tensor | None:
    """G applied to a regular noise grid: (rows, cols, 2), or None when noise dim > 2."""
    grid = noise_grid(t.config.noise, cells, t.device)
    if grid is None:
        return None
    rows, cols, dim = grid.shape
    return t.G(grid.reshape(-1, dim)).view(rows, cols, 2)


@dataclass
class DisplayScale:
    """Arrows are scaled so the 95th-percentile gradient spans `fraction` of the plane's width."""

    fraction: float = 0.08

    def factor(self, grad: torch.Tensor, view: View) -> float:
        if grad.shape[0] == 0:
            return 0.0
        return self.factor_of(float(self.reference(grad)), view)

    @staticmethod
    def reference(grad: torch.Tensor) -> torch.Tensor:
        """The 95th-percentile gradient length of grad [..., N, 2] (batched over leading dims)."""
        return torch.quantile(grad.norm(dim=-1), 0.95, dim=-1)

    def factor_of(self, ref: float, view: View) -> float:
        """The factor for a given 95th-percentile length `ref` (0 when it is 0 or not finite)."""
        if not (ref > 0 and math.isfinite(ref)):
            return 0.0
        return self.fraction * (view[0][1] - view[0][0]) / ref


def grad_norms(t: Trainer2D, real: torch.Tensor, z: torch.Tensor) -> tuple[float, float]:
    """‖∇θ_D L_D‖ and ‖∇θ_G L_G‖ on a probe batch (no parameter is changed)."""
    d_params, g_params = list(t.D.parameters()), list(t.G.parameters())
    fake = t.G(z)
    d_loss = t.loss.d_loss(t.d_logits(real), t.d_logits(fake.detach()))
    d_grads = torch.autograd.grad(d_loss, d_params, allow_unused=True)
    g_grads = torch.autograd.grad(t.loss.g_loss(t.d_logits(fake)), g_params, allow_unused=True)
    return grad_norm(d_grads), grad_norm(g_grads)
