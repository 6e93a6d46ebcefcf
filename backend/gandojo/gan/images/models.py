"""Image generators and discriminators (mlp, dcgan, cgan), initialised from an explicit torch.Generator.

Conventions shared by every model: images travel flattened, (N, 784); G(z, y) returns images in
G's output range (tanh: [-1, 1], sigmoid: [0, 1]); D(x, y) returns raw logits / critic scores
(N, 1) — the "sigmoid" of a vanilla D is applied by the loss (`GanLoss.prob`), never twice.
`y` is a class index (N,) or a (soft) one-hot (N, classes); unconditional models ignore it.
Dropout in D draws its masks from a generator set with `set_dropout_generator`, so a seeded run
repeats exactly.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .config import ImageGanConfig

PIXELS = 28 * 28
MLP_WIDTHS = (256, 512, 1024)  # G: z → 256 → 512 → 1024 → 784; D mirrors it


class SeededDropout(nn.Module):
    """Inverted dropout whose masks come from `self.generator` (global RNG when None); p is live."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0:
            return x
        if self.generator is None:
            return F.dropout(x, self.p, True)
        keep = torch.rand(x.shape, generator=self.generator, device=x.device) >= self.p
        return x * keep / (1.0 - self.p)


def set_dropout(module: nn.Module, p: float | None = None,
                generator: torch.Generator | None = None) -> None:
    """Set the rate (when given) and the generator of every SeededDropout in `module`."""
    for m in module.modules():
        if isinstance(m, SeededDropout):
            if p is not None:
                m.p = p
            m.generator = generator


def set_dropout_generator(module: nn.Module, generator: torch.Generator | None) -> None:
    set_dropout(module, None, generator)


def _act(name: str, slope: float) -> nn.Module:
    return nn.LeakyReLU(slope) if name == "leaky_relu" else nn.ReLU()


def _out(name: str) -> nn.Module:
    return nn.Tanh() if name == "tanh" else nn.Sigmoid()


def one_hot(y: torch.Tensor | None, n: int, rows: int, device) -> torch.Tensor:
    """Class indices (N,) or soft labels (N, n) as float (N, n); zeros (rows, 0) when n = 0."""
    if n == 0:
        return torch.zeros(rows, 0, device=device)
    if y is None:
        raise ValueError("a conditional model needs labels y")
    if y.dim() == 2:
        return y.float()
    return F.one_hot(y.long(), n).float()


class MLPGenerator(nn.Module):
    """z (+ one-hot label) → 256 → 512 → 1024 → 784, optional batchnorm, tanh or sigmoid."""

    def __init__(self, cfg: ImageGanConfig, n_classes: int = 0) -> None:
        super().__init__()
        self.n_classes = n_classes
        gc, layers, width = cfg.generator, [], cfg.latent_dim + n_classes
        for w in MLP_WIDTHS:
            layers.append(nn.Linear(width, w))
            if gc.batchnorm:
                layers.append(nn.BatchNorm1d(w))
            layers.append(_act(gc.activation, cfg.leaky_slope))
            width = w
        layers += [nn.Linear(width, PIXELS), _out(cfg.output)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            z = torch.cat([z, one_hot(y, self.n_classes, len(z), z.device)], dim=1)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """784 (+ one-hot) → 1024 → 512 → 256 → 1 with dropout; cgan: label by concat or projection."""

    def __init__(self, cfg: ImageGanConfig, n_classes: int = 0) -> None:
        super().__init__()
        dc = cfg.discriminator
        self.n_classes = n_classes
        self.projection = n_classes > 0 and cfg.conditioning == "projection"
        layers, width = [], PIXELS + (n_classes if n_classes and not self.projection else 0)
        for w in reversed(MLP_WIDTHS):
            layers += [nn.Linear(width, w), _act(dc.activation, cfg.leaky_slope), SeededDropout(dc.dropout)]
            width = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)
        self.embed = nn.Linear(n_classes, width, bias=False) if self.projection else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes and not self.projection:
            x = torch.cat([x, one_hot(y, self.n_classes, len(x), x.device)], dim=1)
        h = self.features(x)
        out = self.head(h)
        if self.projection:  # Miyato & Koyama 2018: ψ(φ(x)) + ⟨embed(y), φ(x)⟩
            out = out + (self.embed(one_hot(y, self.n_classes, len(x), x.device)) * h).sum(1, keepdim=True)
        return out


class DCGANGenerator(nn.Module):
    """z → Linear → 128×7×7 → ConvTranspose 64×14×14 → ConvTranspose 1×28×28."""

    def __init__(self, cfg: ImageGanConfig, n_classes: int = 0) -> None:
        super().__init__()
        gc, act = cfg.generator, lambda: _act(cfg.generator.activation, cfg.leaky_slope)
        bn1 = [nn.BatchNorm1d(128 * 49)] if gc.batchnorm else []
        bn2 = [nn.BatchNorm2d(64)] if gc.batchnorm else []
        self.fc = nn.Sequential(nn.Linear(cfg.latent_dim, 128 * 49, bias=not gc.batchnorm), *bn1, act())
        self.conv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=not gc.batchnorm), *bn2, act(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), _out(cfg.output))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.conv(self.fc(z).view(-1, 128, 7, 7)).flatten(1)


class DCGANDiscriminator(nn.Module):
    """1×28×28 → Conv 64×14×14 → Conv 128×7×7 → Linear → 1 (no batchnorm: safe with WGAN-GP)."""

    def __init__(self, cfg: ImageGanConfig, n_classes: int = 0) -> None:
        super().__init__()
        dc, act = cfg.discriminator, lambda: _act(cfg.discriminator.activation, cfg.leaky_slope)
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), act(), SeededDropout(dc.dropout),
            nn.Conv2d(64, 128, 4, 2, 1), act(), SeededDropout(dc.dropout),
            nn.Flatten(), nn.Linear(128 * 49, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x.view(-1, 1, 28, 28))


Factory = Callable[[ImageGanConfig, int], tuple[nn.Module, nn.Module]]
MODELS: dict[str, Factory] = {
    "mlp": lambda cfg, k: (MLPGenerator(cfg), MLPDiscriminator(cfg)),
    "dcgan": lambda cfg, k: (DCGANGenerator(cfg), DCGANDiscriminator(cfg)),
    "cgan": lambda cfg, k: (MLPGenerator(cfg, k), MLPDiscriminator(cfg, k)),
}


def init_weights(model: nn.Module, g: torch.Generator, scheme: str) -> None:
    """Draw every weight from `g`: 'dcgan' = N(0, 0.02) (BN scale N(1, 0.02)); 'default' = PyTorch's
    U(±1/√fan_in) for weights and biases."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                if scheme == "dcgan":
                    m.weight.normal_(0.0, 0.02, generator=g)
                    if m.bias is not None:
                        m.bias.zero_()
                else:
                    bound = 1.0 / math.sqrt(m.weight[0].numel())  # fan_in, as torch counts it
                    m.weight.uniform_(-bound, bound, generator=g)
                    if m.bias is not None:
                        m.bias.uniform_(-bound, bound, generator=g)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                if scheme == "dcgan":
                    m.weight.normal_(1.0, 0.02, generator=g)
                m.bias.zero_()


def build_models(cfg: ImageGanConfig, n_classes: int, init: torch.Generator) -> tuple[nn.Module, nn.Module]:
    """(G, D) for cfg.model, initialised from `init` (G first, then D)."""
    G, D = MODELS[cfg.model](cfg, n_classes)
    scheme = "dcgan" if cfg.model == "dcgan" else "default"
    init_weights(G, init, scheme)
    init_weights(D, init, scheme)
    return G, D
