"""One 2D GAN under training: models, optimizers, its own RNG, and the D / G steps.

`observe` hooks let slow motion watch the stages of a step without a second copy of the step:
stage indices 0-5 belong to a D step, 6-10 to a G step (names in STAGES).
"""

from __future__ import annotations

from typing import Callable, Literal

import torch
from torch import nn

from .config import GanConfig, NetConfig
from .datasets import Dataset2D
from .losses import LOSSES, gradient_penalty
from .models import mlp, sample_noise

Part = Literal["both", "d", "g"]
Observer = Callable[..., None]

STAGES = (
    "sample noise", "G makes fakes", "D classifies real and fake", "D loss", "D gradients",
    "D update", "G sample", "D classifies fakes", "G loss", "G gradients", "G update",
)


def build_optimizer(params, net: NetConfig) -> torch.optim.Optimizer:
    """The optimizer `net.optimizer` with its learning rate, momentum and betas."""
    if net.optimizer == "sgd":
        return torch.optim.SGD(params, lr=net.lr, momentum=net.momentum, foreach=True)
    if net.optimizer == "adam":
        return torch.optim.Adam(params, lr=net.lr, betas=net.betas, foreach=True)
    return torch.optim.RMSprop(params, lr=net.lr, momentum=net.momentum, foreach=True)


def update_optimizer(opt: torch.optim.Optimizer, net: NetConfig) -> None:
    """Change hyperparameters in place, keeping the optimizer's state (momenta)."""
    for group in opt.param_groups:
        group["lr"] = net.lr
        if "momentum" in group:
            group["momentum"] = net.momentum
        if "betas" in group:
            group["betas"] = tuple(net.betas)


def _grad_norm(grads) -> float:
    return float(torch.sqrt(sum(g.detach().square().sum() for g in grads if g is not None)))


class Trainer2D:
    """A 2D GAN: same dataset, config, seed and device ⇒ the same trajectory."""

    def __init__(self, dataset: Dataset2D, config: GanConfig, seed: int,
                 device: str | torch.device = "cpu") -> None:
        self.dataset = dataset
        self.config = config
        self.seed = seed
        self.device = torch.device(device)
        self.reset()

    # ----------------------------------------------------------------- building
    def reset(self) -> None:
        """New models from the seed, fresh optimizers and RNG, iteration 0."""
        cfg = self.config
        init = torch.Generator().manual_seed(self.seed)
        self.G = mlp(cfg.noise.dim, 2, cfg.generator, init).to(self.device)
        self.D = mlp(2, 1, cfg.discriminator, init).to(self.device)
        self.g_params = list(self.G.parameters())
        self.opt_g = build_optimizer(self.g_params, cfg.generator)
        self.opt_d = build_optimizer(self.D.parameters(), cfg.discriminator)
        self.rng = torch.Generator(self.device).manual_seed(self.seed + 1)
        self.iteration = 0
        self._loss_d: torch.Tensor | None = None
        self._loss_g: torch.Tensor | None = None

    def apply_config(self, new: GanConfig) -> bool:
        """Switch to `new`: live where possible; returns True when the models were rebuilt."""
        old, self.config = self.config, new
        if new.architecture() != old.architecture():
            self.reset()
            return True
        for attr, opt_attr, params in (("generator", "opt_g", self.g_params),
                                       ("discriminator", "opt_d", list(self.D.parameters()))):
            o, n = getattr(old, attr), getattr(new, attr)
            if n.optimizer != o.optimizer:
                setattr(self, opt_attr, build_optimizer(params, n))
            else:
                update_optimizer(getattr(self, opt_attr), n)
        return False

    @property
    def loss(self):
        return LOSSES[self.config.loss]

    def d_logits(self, x: torch.Tensor) -> torch.Tensor:
        """D's raw output (N, 1) for single points x (N, 2), whatever D's input layout."""
        return self.D(x)

    # ----------------------------------------------------------------- steps
    def d_step(self, observe: Observer | None = None) -> None:
        """One discriminator update on a fresh real batch and fresh fakes."""
        cfg, b = self.config, self.config.batch_size
        real = self.dataset.sample(b, self.rng)
        z = sample_noise(b, cfg.noise, self.rng)
        observe and observe(0, real=real, z=z)
        with torch.no_grad():
            fake = self.G(z)
        observe and observe(1, real=real, fake=fake)
        out = self.D(torch.cat([real, fake]))
        r, f = out[:b], out[b:]
        observe and observe(2, real=real, fake=fake, d_real=self.loss.prob(r), d_fake=self.loss.prob(f))
        loss = self.loss.d_loss(r, f)
        if self.loss.gradient_penalty and cfg.gp_weight > 0:
            loss = loss + cfg.gp_weight * gradient_penalty(self.D, real, fake, self.rng)
        observe and observe(3, loss=loss)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        observe and observe(4, grad_norm=_grad_norm(p.grad for p in self.D.parameters()))
        self.opt_d.step()
        observe and observe(5)
        self._loss_d = loss.detach()

    def g_step(self, observe: Observer | None = None) -> None:
        """One generator update through the (frozen) discriminator."""
        cfg = self.config
        z = sample_noise(cfg.batch_size, cfg.noise, self.rng)
        observe and observe(6, z=z)
        fake = self.G(z)
        f = self.D(fake)
        observe and observe(7, fake=fake, d_fake=self.loss.prob(f))
        loss = self.loss.g_loss(f)
        observe and observe(8, loss=loss)
        if observe:
            grads = torch.autograd.grad(loss, [fake, *self.g_params])
            observe(9, fake=fake, fake_grad=-grads[0], grad_norm=_grad_norm(grads[1:]))
            grads = grads[1:]
        else:
            grads = torch.autograd.grad(loss, self.g_params)
        for p, g in zip(self.g_params, grads):
            p.grad = g
        self.opt_g.step()
        observe and observe(10)
        self._loss_g = loss.detach()

    def iterate(self, part: Part = "both", observe: Observer | None = None) -> None:
        """One iteration: k_d D steps and/or k_g G steps; the counter advances by one."""
        if part in ("both", "d"):
            for _ in range(self.config.k_d):
                self.d_step(observe)
        if part in ("both", "g"):
            for _ in range(self.config.k_g):
                self.g_step(observe)
        self.iteration += 1

    def losses(self) -> dict[str, float | None]:
        """The last D and G losses (each from the last step of its part)."""
        return {"d": None if self._loss_d is None else float(self._loss_d),
                "g": None if self._loss_g is None else float(self._loss_g)}

    def parameters_of(self, which: Literal["d", "g"]) -> list[nn.Parameter]:
        return list((self.D if which == "d" else self.G).parameters())
