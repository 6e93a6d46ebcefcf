"""Per-pixel float32 error bound of an image generator's samples (tests only; tests/numerics.py).

The same G evaluated on batches of different sizes (a 5-step interpolation path vs the 64-sample
grid) may be computed by different kernels, so its samples agree only up to rounding. The bound is
carried forward through G in float64, layer by layer, as two numbers per activation: M, a bound on
its magnitude, and E, a bound on its error:

* Linear / convolution with n terms per output: M' = |W|·M + |b|, E' = |W|·E + λ√(n+1)·U32·M'.
  The worst case n·U32 (tests/f32_training.py) is useless through 1024-wide layers; by Higham and
  Mary (SIAM J. Sci. Comput. 41, 2019, Thm 3.1) a sum of n terms rounded to nearest errs by at
  most λ√n·U32·Σ|terms| except with probability 2n·exp(−λ²/2): λ = 10 makes that < 1e-18;
* batch norm (eval): M' = (M + |mean|)·|γ|/√(var + ε) + |β|, E' = E·|γ|/√(var + ε) + 4·U32·M';
* ReLU / leaky ReLU / tanh / sigmoid at the signed pre-activation z (a float64 run of the same
  G): M' = |act(z)| + s·E, E' = s·E + 2·U32·M', s the largest slope within z ± E;
* the [0, 1] image (tanh + 1)/2 (slope ½) or the sigmoid itself, then clamped: E/2 + 2·U32.
The input z is exact at a path's end points (slerp's coefficients are exactly 1 and 0 there).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from numerics import U32

LAMBDA = 10.0
ACTS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid)
D64 = torch.float64


def _max_slope(act: nn.Module, z: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """The largest |act'| on [z − e, z + e]."""
    if isinstance(act, (nn.ReLU, nn.LeakyReLU)):
        low = 0.0 if isinstance(act, nn.ReLU) else act.negative_slope
        return torch.where(z + e < 0, torch.full_like(z, low), torch.ones_like(z))
    near = (z.abs() - e).clamp(min=0)  # the point of the interval closest to 0
    return 1 - torch.tanh(near) ** 2 if isinstance(act, nn.Tanh) else torch.sigmoid(near) * torch.sigmoid(-near)


class _Split(nn.Module):
    """Runs on a batch stacked as [M; E] (see the module docstring)."""

    def __init__(self, mod: nn.Module, signed_inputs: dict, name: str) -> None:
        super().__init__()
        self.mod, self.inputs, self.name = mod, signed_inputs, name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, e = x.chunk(2)
        mod = self.mod
        if isinstance(mod, ACTS):
            z = self.inputs[self.name]
            s = _max_slope(mod, z, e)
            m2 = mod(z).abs() + s * e
            return torch.cat([m2, s * e + 2 * U32 * m2])
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            shape = (1, -1) + (1,) * (m.dim() - 2)
            scale = ((mod.running_var + mod.eps).rsqrt() * mod.weight.abs()).view(shape)
            m2 = (m + mod.running_mean.abs().view(shape)) * scale + mod.bias.abs().view(shape)
            return torch.cat([m2, e * scale + 4 * U32 * m2])
        w = mod.weight.abs()
        n = w[0].numel() if isinstance(mod, (nn.Linear, nn.Conv2d)) else w.shape[0] * w[0, 0].numel()
        f = {nn.Linear: nn.functional.linear, nn.Conv2d: self._conv,
             nn.ConvTranspose2d: self._conv_t}[type(mod)]
        m2 = f(m, w, None if mod.bias is None else mod.bias.abs())
        return torch.cat([m2, f(e, w, None) + LAMBDA * math.sqrt(n + 1) * U32 * m2])

    def _conv(self, x, w, b):
        c = self.mod
        return nn.functional.conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups)

    def _conv_t(self, x, w, b):
        c = self.mod
        return nn.functional.conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding,
                                              c.groups, c.dilation)


def image_bound(G: nn.Module, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Error bound per pixel (N, 28, 28) of the [0, 1] images G(z, y) (eval mode)."""
    signed = copy.deepcopy(G).to(D64).eval()
    bound = copy.deepcopy(signed)  # before the hooks below
    last = [m for m in signed.modules() if isinstance(m, ACTS)][-1]  # G's output activation
    k = getattr(G, "n_classes", 0)
    if y is not None and k and y.dim() == 1:
        y = nn.functional.one_hot(y.long(), k)
    y = None if y is None else y.to(D64)
    inputs: dict[str, torch.Tensor] = {}
    for name, mod in signed.named_modules():
        if isinstance(mod, ACTS):
            mod.register_forward_pre_hook(lambda m, a, name=name: inputs.__setitem__(name, a[0]))
    with torch.no_grad():
        signed(z.to(D64), y)
        for parent in list(bound.modules()):
            for name, child in parent.named_children():
                full = next(n for n, m in bound.named_modules() if m is child)
                if isinstance(child, (*ACTS, nn.modules.batchnorm._BatchNorm, nn.Linear,
                                      nn.Conv2d, nn.ConvTranspose2d)):
                    setattr(parent, name, _Split(child, inputs, full))
        zz = z.to(D64)
        out = bound(torch.cat([zz.abs(), torch.zeros_like(zz)]),
                    None if y is None else torch.cat([y.abs(), torch.zeros_like(y)]))
    err = out.chunk(2)[1] * (0.5 if isinstance(last, nn.Tanh) else 1.0)  # to [0, 1]
    return (err + 2 * U32).view(-1, 28, 28)
