"""f-GAN losses (Nowozin et al. 2016) beside the standard GAN losses, in one registry for images.

D outputs v; T(v) = g_f(v) is the variational function through the divergence's output
activation, f* is the convex conjugate. D maximises E_P[T(v)] − E_Q[f*(T(v))], so its loss is the
negative; G uses the paper's alternative update, maximising E_Q[T(v)]. Each term is written in v
directly, which keeps it finite (exponents are clamped at 50):

| name          | g_f(v)              | f*(T(v)) in v        | D(x) as a probability |
|---------------|---------------------|----------------------|-----------------------|
| f-kl          | v                   | exp(v − 1)           | σ(v − 1)              |
| f-reverse-kl  | −exp(−v)            | v − 1                | σ(v)                  |
| f-js          | log 2 − softplus(−v)| softplus(v) − log 2  | σ(v)                  |
| f-pearson     | v                   | v²/4 + v             | u/(1+u), u = max(1 + v/2, 0) |
| f-hellinger   | 1 − exp(−v)         | exp(v) − 1           | σ(2v)                 |

The probability column is p/(p+q) at D's optimum (T* = f'(p/q)); it drives D accuracy and DRS.
Label smoothing has no meaning for f-GAN losses (`smoothable=False`).
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from ..losses import LOSSES, GanLoss

Tensor = torch.Tensor
LOG2 = math.log(2.0)
CLAMP = 50.0


def _exp(v: Tensor) -> Tensor:
    return torch.exp(v.clamp(max=CLAMP))


def _f_loss(name: str, t_real: Callable[[Tensor], Tensor], f_star: Callable[[Tensor], Tensor],
            prob: Callable[[Tensor], Tensor]) -> GanLoss:
    def d_loss(r: Tensor, f: Tensor, smooth: float = 0.0) -> Tensor:
        return f_star(f).mean() - t_real(r).mean()

    def g_loss(f: Tensor) -> Tensor:
        return -t_real(f).mean()

    return GanLoss(name, d_loss, g_loss, prob)


def _pearson_prob(v: Tensor) -> Tensor:
    u = (1.0 + 0.5 * v).clamp(min=0.0)
    return u / (1.0 + u)


F_LOSSES: dict[str, GanLoss] = {
    "f-kl": _f_loss("f-kl", lambda v: v, lambda v: _exp(v - 1.0), lambda v: torch.sigmoid(v - 1.0)),
    "f-reverse-kl": _f_loss("f-reverse-kl", lambda v: -_exp(-v), lambda v: v - 1.0, torch.sigmoid),
    "f-js": _f_loss("f-js", lambda v: LOG2 - F.softplus(-v), lambda v: F.softplus(v) - LOG2,
                    torch.sigmoid),
    "f-pearson": _f_loss("f-pearson", lambda v: v, lambda v: 0.25 * v.square() + v, _pearson_prob),
    "f-hellinger": _f_loss("f-hellinger", lambda v: 1.0 - _exp(-v), lambda v: _exp(v) - 1.0,
                           lambda v: torch.sigmoid(2.0 * v)),
}


def image_loss(name: str) -> GanLoss:
    """The standard loss or f-GAN divergence `name`; KeyError lists the known names."""
    if name in F_LOSSES:
        return F_LOSSES[name]
    try:
        return LOSSES[name]
    except KeyError:
        known = ", ".join([*LOSSES, *F_LOSSES])
        raise KeyError(f"unknown loss {name!r}; known: {known}") from None
