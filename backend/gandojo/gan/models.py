"""MLP generator and discriminator for 2D GANs, initialised from an explicit torch.Generator."""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import NetConfig, NoiseConfig

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}


class ScaledMLP(nn.Sequential):
    """An MLP that works in normalised coordinates: inputs x ↦ (x − in_shift)·in_scale before the
    layers, outputs y ↦ y·out_scale + out_shift after them (fixed buffers, not trained).

    The 2D data live on planes from the unit square to [−6, 6]²; mapping the visible plane to
    [−1, 1]² puts the ReLU kinks of a default-initialised layer where the data are (GAN Lab's
    1×8 ReLU D otherwise degenerates to a linear classifier and stops learning).
    """

    def __init__(self, layers: list[nn.Module], in_shift: torch.Tensor, in_scale: torch.Tensor,
                 out_shift: torch.Tensor, out_scale: torch.Tensor) -> None:
        super().__init__(*layers)
        in_bias = -in_shift * in_scale  # (x − shift)·scale = x·scale + bias: one fused op
        for name, value in (("in_bias", in_bias), ("in_scale", in_scale),
                            ("out_shift", out_shift), ("out_scale", out_scale)):
            self.register_buffer(name, value.to(torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = super().forward(torch.addcmul(self.in_bias, x, self.in_scale))
        return torch.addcmul(self.out_shift, h, self.out_scale)


def plane_scaling(view, repeat: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """(centre, half-width) of a view ((x0, x1), (y0, y1)), each repeated `repeat` times."""
    (x0, x1), (y0, y1) = view
    centre = torch.tensor([(x0 + x1) / 2, (y0 + y1) / 2] * repeat)
    half = torch.tensor([(x1 - x0) / 2, (y1 - y0) / 2] * repeat)
    return centre, half


def mlp(in_dim: int, out_dim: int, net: NetConfig, init: torch.Generator,
        in_view=None, out_view=None) -> nn.Sequential:
    """in -> [Linear, act] * hidden_layers -> Linear -> out, with PyTorch's default init drawn from `init`.

    With `in_view` (a 2D plane; inputs are in_dim/2 points of it) inputs are normalised to
    [−1, 1]²; with `out_view` outputs are mapped from [−1, 1]² onto that plane.
    """
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(net.hidden_layers):
        layers += [nn.Linear(width, net.neurons), ACTIVATIONS[net.activation]()]
        width = net.neurons
    layers.append(nn.Linear(width, out_dim))
    zero_in, one_in = torch.zeros(in_dim), torch.ones(in_dim)
    zero_out, one_out = torch.zeros(out_dim), torch.ones(out_dim)
    if in_view is not None:
        zero_in, half = plane_scaling(in_view, in_dim // 2)
        one_in = 1.0 / half
    if out_view is not None:
        zero_out, one_out = plane_scaling(out_view, out_dim // 2)
    model = ScaledMLP(layers, zero_in, one_in, zero_out, one_out)
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=init)
                m.bias.uniform_(-bound, bound, generator=init)
    return model


def sample_noise(n: int, noise: NoiseConfig, g: torch.Generator) -> torch.Tensor:
    """n noise vectors (n, dim): N(0, 1) or U(-1, 1)."""
    if noise.distribution == "gaussian":
        return torch.randn(n, noise.dim, generator=g, device=g.device)
    return torch.rand(n, noise.dim, generator=g, device=g.device).mul_(2.0).sub_(1.0)


def noise_grid(noise: NoiseConfig, cells: int, device: torch.device) -> torch.Tensor | None:
    """A regular grid over the noise space for drawing the manifold: (rows, cols, dim) or None.

    1D noise gives one row of cells+1 points, 2D noise a (cells+1)^2 lattice. Gaussian noise is
    covered over [-2, 2] (≈95 % of the mass), uniform noise over [-1, 1].
    """
    if noise.dim > 2:
        return None
    r = 2.0 if noise.distribution == "gaussian" else 1.0
    t = torch.linspace(-r, r, cells + 1, device=device)
    if noise.dim == 1:
        return t.view(1, -1, 1)
    yy, xx = torch.meshgrid(t, t, indexing="ij")
    return torch.stack([xx, yy], dim=-1)
