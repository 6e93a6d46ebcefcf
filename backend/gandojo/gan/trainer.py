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
import torch.nn.functional as F
from torch import nn

from torch.func import functional_call
from torch.nn.modules import module as nn_module
from torch.optim import optimizer as optim_module

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
        self.d_params = list(self.D.parameters())
        self.opt_g = build_optimizer(self.g_params, cfg.generator)
        self.opt_d = build_optimizer(self.d_params, cfg.discriminator)
        self._g_fwd, self._d_fwd = lean_forward(self.G), lean_forward(self.D)
        self._lean_for: GanConfig | None = None  # the config `_lean` was decided for
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
                                       ("discriminator", "opt_d", self.d_params)):
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
        if observe is None:
            if part == "both" and self.fast_step is not None and self.fast_step(self):
                self.iteration += 1
                return
            if self._lean_for is not self.config:
                self._lean_for, self._lean = self.config, lean_plan(self.config)
            if self._lean and not _hooked((self.G, self.D), (self.opt_g, self.opt_d)):
                self._lean_iteration(part)
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

    def _lean_iteration(self, part: Part) -> None:
        """`iterate` without observers or cures (lean_plan): the same draws, the same arithmetic
        (bit for bit), without per-step checks, nn.Module calls or torch.optim's step wrapper
        where SGD without momentum is one foreach update."""
        cfg, n, rng, loss = self.config, self.config.batch_size, self.rng, LOSSES[self.config.loss]
        G, D, smooth = self._g_fwd, self._d_fwd, cfg.label_smoothing
        if part != "g":
            for _ in range(cfg.k_d):
                real = self.dataset.sample(n, rng)
                with torch.no_grad():
                    fake = G(sample_noise(n, cfg.noise, rng))
                out = D(torch.cat([real, fake]))
                r, f = out[:n], out[n:]
                d = loss.d_loss(r, f, smooth) if smooth else loss.d_loss(r, f)
                _descend(self.opt_d, self.d_params, torch.autograd.grad(d, self.d_params))
            self._loss_d = d.detach()
        if part != "d":
            for _ in range(cfg.k_g):
                g = loss.g_loss(D(G(sample_noise(n, cfg.noise, rng))))
                _descend(self.opt_g, self.g_params, torch.autograd.grad(g, self.g_params))
            self._loss_g = g.detach()
        self.iteration += 1

    def losses(self) -> dict[str, float | None]:
        """The last D and G losses (each from the last step of its part)."""
        return {"d": None if self._loss_d is None else float(self._loss_d),
                "g": None if self._loss_g is None else float(self._loss_g)}

    def parameters_of(self, which: Literal["d", "g"]) -> list[nn.Parameter]:
        return list((self.D if which == "d" else self.G).parameters())


def lean_plan(cfg: GanConfig) -> bool:
    """Whether `cfg` trains without cures that change the step (packing, instance noise, R1,
    a gradient penalty, unrolling): then `Trainer2D._lean_iteration` may take its iterations."""
    gp = LOSSES[cfg.loss].gradient_penalty and cfg.gp_weight > 0
    return (cfg.pack == 1 and cfg.instance_noise <= 0 and cfg.r1_weight <= 0 and not gp
            and not cfg.unrolled_steps and cfg.k_d > 0 and cfg.k_g > 0)


def lean_forward(net: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """models.ScaledMLP's forward as one function: the same ops in the same order as calling the
    module, without nn.Module's per-call machinery. It reads the modules' parameter and buffer
    dicts at each call, so `.to(dtype)`, loaded state and batched hand-backs are seen."""
    steps: list = []
    for m in net:
        if isinstance(m, nn.Linear):
            steps.append((None, m._parameters))
        elif isinstance(m, nn.LeakyReLU):
            steps.append((F.leaky_relu, m.negative_slope))
        else:  # ReLU, Tanh: their forward is the plain function
            steps.append(({nn.ReLU: torch.relu, nn.Tanh: torch.tanh}[type(m)], None))
    bufs, linear = net._buffers, F.linear

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = torch.addcmul(bufs["in_bias"], x, bufs["in_scale"])
        for fn, arg in steps:
            if fn is None:
                h = linear(h, arg["weight"], arg["bias"])
            else:
                h = fn(h) if arg is None else fn(h, arg)
        return torch.addcmul(bufs["out_shift"], h, bufs["out_scale"])
    return forward


def _hooked(nets: tuple[nn.Module, ...], opts: tuple[torch.optim.Optimizer, ...]) -> bool:
    """Someone watches the networks' calls or the optimizers' steps (forward / step hooks, e.g.
    tests/f32_training.py): the lean iteration, which calls neither, must not run."""
    return bool(nn_module._global_forward_hooks or nn_module._global_forward_pre_hooks
                or optim_module._global_optimizer_pre_hooks
                or optim_module._global_optimizer_post_hooks
                or any(n._forward_hooks or n._forward_pre_hooks for n in nets)
                or any(o._optimizer_step_pre_hooks or o._optimizer_step_post_hooks for o in opts))


def _descend(opt: torch.optim.Optimizer, params: list, grads) -> None:
    """One optimizer step with these gradients (left in .grad, as backward() leaves them): SGD
    without momentum (or weight decay) as torch.optim's foreach SGD does it (p -= lr·g, one
    foreach op), anything else via opt.step()."""
    for p, g in zip(params, grads):
        p.grad = g
    group = opt.param_groups[0]
    if type(opt) is torch.optim.SGD and not group["momentum"] and not group["weight_decay"]:
        with torch.no_grad():
            torch._foreach_add_(params, list(grads), alpha=-group["lr"])
    else:
        opt.step()
