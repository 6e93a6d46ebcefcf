"""MLP generator and discriminator for 2D GANs, initialised from an explicit torch.Generator."""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import NetConfig, NoiseConfig

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}


def mlp(in_dim: int, out_dim: int, net: NetConfig, init: torch.Generator) -> nn.Sequential:
    """in -> [Linear, act] * hidden_layers -> Linear -> out, with PyTorch's default init drawn from `init`."""
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(net.hidden_layers):
        layers += [nn.Linear(width, net.neurons), ACTIVATIONS[net.activation]()]
        width = net.neurons
    layers.append(nn.Linear(width, out_dim))
    model = nn.Sequential(*layers)
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
