"""One 2D GAN under training: models, optimizers, its own RNG, and the D / G steps.

`observe` hooks let slow motion watch the stages of a step without a second copy of the step:
stage indices 0-5 belong to a D step, 6-10 to a G step (names in STAGES).

Cures for mode collapse (config fields, all off by default; see gan/cures.py):
instance noise on both of D's inputs in D and G steps, one-sided label smoothing, the R1 penalty,
PacGAN packing (D sees `pack` samples at once: each step draws pack × batch_size samples, i.e.
batch_size packs, so no sample is dropped whatever the batch size) and unrolled D in the G step.
"""

from __future__ import annotations

from typing import Callable, Literal

import torch
from torch import nn

from torch.func import functional_call

from .config import GanConfig, NetConfig
from .cures import (add_noise, instance_noise_sigma, pack_rows, per_sample, replicate_points,
                    unrolled_d_params)
from .datasets import Dataset2D
from .losses import LOSSES, gradient_penalty, r1_penalty
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
    if isinstance(opt, torch.optim.RMSprop) and net.momentum > 0:
        # torch's RMSprop makes its momentum buffer only when its state starts with momentum on
        # (else its next step raises KeyError); zeros are what that first step would have used
        for p in (p for group in opt.param_groups for p in group["params"]):
            state = opt.state.get(p)
            if state and "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p.detach())


def grad_norm(grads) -> float:
    """The global L2 norm of a set of gradients (None entries skipped)."""
    return float(torch.sqrt(sum(g.detach().square().sum() for g in grads if g is not None)))


class Trainer2D:
    """A 2D GAN: same dataset, config, seed and device ⇒ the same trajectory."""

    fast_step: Callable[["Trainer2D"], bool] | None = None  # set by engine/compiler.py

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
        view = self.dataset.view  # both networks work in coordinates where the plane is [-1, 1]²
        self.G = mlp(cfg.noise.dim, 2, cfg.generator, init, out_view=view).to(self.device)
        self.D = mlp(2 * cfg.pack, 1, cfg.discriminator, init, in_view=view).to(self.device)
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
        """D's raw output (N, 1) for single points x (N, 2), whatever D's input layout.

        With packing, each point is replicated `pack` times to fill D's input.
        """
        return self.D(replicate_points(x, self.config.pack))

    def noise_sigma(self) -> float:
        """The instance-noise σ at the current iteration (0 when off or fully annealed)."""
        return instance_noise_sigma(self.config, self.iteration)

    # ----------------------------------------------------------------- steps
    def d_step(self, observe: Observer | None = None) -> None:
        """One discriminator update on a fresh real batch and fresh fakes (batch_size packs)."""
        cfg, pack = self.config, self.config.pack
        n = cfg.batch_size * pack
        real = self.dataset.sample(n, self.rng)
        z = sample_noise(n, cfg.noise, self.rng)
        observe and observe(0, real=real, z=z)
        with torch.no_grad():
            fake = self.G(z)
        observe and observe(1, real=real, fake=fake)
        sigma = self.noise_sigma()
        real_in, fake_in = add_noise(real, sigma, self.rng), add_noise(fake, sigma, self.rng)
        if cfg.r1_weight > 0:
            real_in = real_in.detach().requires_grad_(True)
        out = self.D(pack_rows(torch.cat([real_in, fake_in]), pack))
        r, f = out[:cfg.batch_size], out[cfg.batch_size:]
        observe and observe(2, real=real_in, fake=fake_in,
                            d_real=per_sample(self.loss.prob(r), pack),
                            d_fake=per_sample(self.loss.prob(f), pack))
        smooth = cfg.label_smoothing
        loss = self.loss.d_loss(r, f, smooth) if smooth else self.loss.d_loss(r, f)
        if self.loss.gradient_penalty and cfg.gp_weight > 0:
            loss = loss + cfg.gp_weight * gradient_penalty(
                self.D, pack_rows(real_in.detach(), pack), pack_rows(fake_in, pack), self.rng)
        if cfg.r1_weight > 0:
            loss = loss + 0.5 * cfg.r1_weight * r1_penalty(r, real_in)
        observe and observe(3, loss=loss)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        observe and observe(4, grad_norm=grad_norm(p.grad for p in self.D.parameters()))
        self.opt_d.step()
        observe and observe(5)
        self._loss_d = loss.detach()

    def g_step(self, observe: Observer | None = None) -> None:
        """One generator update through the (frozen, or unrolled) discriminator."""
        cfg, pack = self.config, self.config.pack
        z = sample_noise(cfg.batch_size * pack, cfg.noise, self.rng)
        observe and observe(6, z=z)
        fake = self.G(z)
        sigma = self.noise_sigma()
        fake_in = add_noise(fake, sigma, self.rng)
        if cfg.unrolled_steps:
            f = functional_call(self.D, self._unrolled(fake_in, sigma), (pack_rows(fake_in, pack),))
        else:
            f = self.D(pack_rows(fake_in, pack))
        observe and observe(7, fake=fake, d_fake=per_sample(self.loss.prob(f), pack))
        loss = self.loss.g_loss(f)
        observe and observe(8, loss=loss)
        if observe:
            grads = torch.autograd.grad(loss, [fake, *self.g_params])
            observe(9, fake=fake, fake_grad=-grads[0], grad_norm=grad_norm(grads[1:]))
            grads = grads[1:]
        else:
            grads = torch.autograd.grad(loss, self.g_params)
        for p, g in zip(self.g_params, grads):
            p.grad = g
        self.opt_g.step()
        observe and observe(10)
        self._loss_g = loss.detach()

    def _unrolled(self, fake_in: torch.Tensor, sigma: float) -> dict[str, torch.Tensor]:
        """D's parameters `unrolled_steps` differentiable SGD steps (at D's lr) ahead on a fresh
        real batch and these fakes; self.D is left as it is."""
        cfg = self.config
        real = add_noise(self.dataset.sample(fake_in.shape[0], self.rng), sigma, self.rng)
        smooth = cfg.label_smoothing
        return unrolled_d_params(self.D, lambda r, f: self.loss.d_loss(r, f, smooth),
                                 pack_rows(real, cfg.pack), pack_rows(fake_in, cfg.pack),
                                 cfg.unrolled_steps, cfg.discriminator.lr)

    def iterate(self, part: Part = "both", observe: Observer | None = None) -> None:
        """One iteration: k_d D steps and/or k_g G steps; the counter advances by one.

        A whole unobserved iteration goes to `fast_step` when one is set (gan/compiled.py's
        BoundStep: the same iteration compiled); it returns False when it cannot take it."""
        if (part == "both" and observe is None and self.fast_step is not None
                and self.fast_step(self)):
            self.iteration += 1
            return
        if part in ("both", "d"):
            for _ in range(self.config.k_d):
                self.d_step(observe)
        if part in ("both", "g"):
            for _ in range(self.config.k_g):
                self.g_step(observe)
        self.iteration += 1

    def trained_elsewhere(self, iterations: int, loss_d: torch.Tensor | None,
                          loss_g: torch.Tensor | None) -> None:
        """Count `iterations` trained on this trainer's parameters by someone else (gan/batched.py)
        and keep their last losses (None: keep the ones it has)."""
        self.iteration += iterations
        if loss_d is not None:
            self._loss_d, self._loss_g = loss_d, loss_g

    def losses(self) -> dict[str, float | None]:
        """The last D and G losses (each from the last step of its part)."""
        return {"d": None if self._loss_d is None else float(self._loss_d),
                "g": None if self._loss_g is None else float(self._loss_g)}

    def parameters_of(self, which: Literal["d", "g"]) -> list[nn.Parameter]:
        return list((self.D if which == "d" else self.G).parameters())
