"""One image GAN under training: models, Adam optimizers, its own RNGs, the D / G steps and probes.

Same data, config, seed and device ⇒ the same trajectory: weights come from a CPU generator seeded
with `seed`, training draws (batches, noise, dropout, instance noise) from `rng` (seed + 1), the
fixed grid noise from seed + 2, and `sample()` from `sample_rng` (seed + 3), so looking at the
model never changes its training. Sampling runs G in eval mode (batchnorm running statistics).
Real images are drawn epoch by epoch from a shuffled order; epoch progress = real images seen / N.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import torch

from ...datasets.images import ImageData
from ..cures import add_noise, instance_noise_sigma
from ..losses import gradient_penalty
from .config import ImageGanConfig
from .fgan import image_loss
from .grid import GRID_COLS, SampleGrid, class_noise, fixed_noise, interpolate, slerp
from .models import build_models, set_dropout

Part = Literal["both", "d", "g"]
__all__ = ["GRID_COLS", "ImageTrainer", "Part", "SampleGrid", "StepStats", "slerp"]


@dataclass(frozen=True)
class StepStats:
    iteration: int
    epoch: int  # completed epochs
    epoch_progress: float  # real images seen / training images (1.5 = half way through epoch 2)
    images_seen: int
    d_loss: float | None
    g_loss: float | None
    d_real_acc: float | None  # fraction of the last real batch with D(x) > 0.5
    d_fake_acc: float | None  # fraction of the last fake batch with D(G(z)) < 0.5
    d_real_mean: float | None
    d_fake_mean: float | None


def _item(t: torch.Tensor | None) -> float | None:
    return None if t is None else float(t)


class ImageTrainer:
    """An image GAN (mlp, dcgan or cgan) on an ImageData training split."""

    def __init__(self, data: ImageData, config: ImageGanConfig, seed: int,
                 device: str | torch.device = "cpu", grid_cols: int = GRID_COLS) -> None:
        if data.count < 1:
            raise ValueError("the training data is empty")
        self.data = data
        self.config = config
        self.seed = seed
        self.device = torch.device(device)
        self.grid_cols = grid_cols
        self._x = data.images.reshape(data.count, -1).to(self.device)  # uint8 (N, 784)
        self._y = data.labels.to(self.device)
        self.reset()

    # ----------------------------------------------------------------- building
    @property
    def n_classes(self) -> int:
        return self.data.n_classes if self.config.conditional else 0

    @property
    def loss(self):
        return image_loss(self.config.loss)

    def reset(self) -> None:
        """New models from the seed, fresh optimizers and RNGs, iteration 0."""
        cfg, dev = self.config, self.device
        init = torch.Generator().manual_seed(self.seed)
        self.G, self.D = (m.to(dev) for m in build_models(cfg, self.n_classes, init))
        self.g_params = list(self.G.parameters())
        self.opt_g = torch.optim.Adam(self.g_params, lr=cfg.generator.lr, betas=cfg.generator.betas)
        dc = cfg.discriminator
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=dc.lr, betas=dc.betas)
        self.rng = torch.Generator(dev).manual_seed(self.seed + 1)
        self.sample_rng = torch.Generator(dev).manual_seed(self.seed + 3)
        set_dropout(self.D, cfg.discriminator.dropout, self.rng)
        self._make_fixed_noise()
        self.iteration = 0
        self.images_seen = 0
        self._perm: torch.Tensor | None = None
        self._pos = 0
        self._last: dict[str, torch.Tensor | None] = dict.fromkeys(
            ("d", "g", "real_prob", "fake_prob"))

    def _make_fixed_noise(self) -> None:
        self.fixed_z, self.fixed_labels, self.grid_rows = fixed_noise(
            self.seed, self.config.latent_dim, self.grid_cols, self.n_classes, self.device)

    def apply_config(self, new: ImageGanConfig) -> bool:
        """Switch to `new`: live where possible (rates, betas, dropout, loss, k, batch, cures);
        returns True when the models were rebuilt (architecture changed)."""
        old, self.config = self.config, new
        if new.architecture() != old.architecture():
            self.reset()
            return True
        for opt, net in ((self.opt_g, new.generator), (self.opt_d, new.discriminator)):
            for group in opt.param_groups:
                group["lr"], group["betas"] = net.lr, tuple(net.betas)
        set_dropout(self.D, new.discriminator.dropout, self.rng)
        return False

    # ----------------------------------------------------------------- data
    def to_model_range(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 or [0, 1] images → G's output range ([-1, 1] for tanh), flattened (N, 784)."""
        x = x.reshape(x.shape[0], -1)
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        return x * 2.0 - 1.0 if self.config.output == "tanh" else x

    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        """G's output range → [0, 1] images (N, 28, 28)."""
        x = (x + 1.0) * 0.5 if self.config.output == "tanh" else x
        return x.clamp(0.0, 1.0).reshape(-1, 28, 28)

    def _next_indices(self, n: int) -> torch.Tensor:
        parts, need, total = [], n, self.data.count
        while need:
            if self._perm is None or self._pos >= total:
                self._perm = torch.randperm(total, generator=self.rng, device=self.device)
                self._pos = 0
            take = min(need, total - self._pos)
            parts.append(self._perm[self._pos:self._pos + take])
            self._pos += take
            need -= take
        self.images_seen += n
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def data_order(self) -> tuple[torch.Tensor | None, int]:
        """The current epoch's shuffled order of the training images and the position in it."""
        return self._perm, self._pos

    def set_data_order(self, perm: torch.Tensor, position: int) -> None:
        """Restore `data_order()` (from a checkpoint)."""
        if perm.shape != (self.data.count,) or not 0 <= position <= self.data.count:
            raise ValueError("the data order does not fit this training split")
        self._perm, self._pos = perm.long().to(self.device), position

    def _noise(self, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        z = torch.randn(n, self.config.latent_dim, generator=g, device=self.device)
        if not self.n_classes:
            return z, None
        return z, torch.randint(0, self.n_classes, (n,), generator=g, device=self.device)

    # ----------------------------------------------------------------- steps
    def d_step(self) -> None:
        """One discriminator update on the next real batch and fresh fakes."""
        cfg, b = self.config, self.config.batch_size
        idx = self._next_indices(b)
        real = self.to_model_range(self._x[idx])
        y_real = self._y[idx] if self.n_classes else None
        z, y_fake = self._noise(b, self.rng)
        with torch.no_grad():
            fake = self.G(z, y_fake)
        sigma = instance_noise_sigma(cfg, self.iteration)
        real_in, fake_in = add_noise(real, sigma, self.rng), add_noise(fake, sigma, self.rng)
        y_both = torch.cat([y_real, y_fake]) if self.n_classes else None
        out = self.D(torch.cat([real_in, fake_in]), y_both)
        r, f = out[:b], out[b:]
        loss = self.loss.d_loss(r, f, cfg.label_smoothing)
        if self.loss.gradient_penalty and cfg.gp_weight > 0:
            loss = loss + cfg.gp_weight * gradient_penalty(
                lambda x: self.D(x, y_real), real_in, fake_in, self.rng)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        with torch.no_grad():
            self._last.update(d=loss.detach(), real_prob=self.loss.prob(r), fake_prob=self.loss.prob(f))

    def g_step(self) -> None:
        """One generator update through the (frozen) discriminator."""
        z, y = self._noise(self.config.batch_size, self.rng)
        fake = add_noise(self.G(z, y), instance_noise_sigma(self.config, self.iteration), self.rng)
        loss = self.loss.g_loss(self.D(fake, y))
        grads = torch.autograd.grad(loss, self.g_params)
        for p, g in zip(self.g_params, grads):
            p.grad = g
        self.opt_g.step()
        self._last["g"] = loss.detach()

    def iterate(self, part: Part = "both") -> None:
        """One iteration: k_d D steps and/or k_g G steps; the counter advances by one."""
        if part in ("both", "d"):
            for _ in range(self.config.k_d):
                self.d_step()
        if part in ("both", "g"):
            for _ in range(self.config.k_g):
                self.g_step()
        self.iteration += 1

    def step(self, n: int = 1, part: Part = "both") -> StepStats:
        """n iterations, then the stats of the last one."""
        for _ in range(n):
            self.iterate(part)
        return self.stats()

    # ----------------------------------------------------------------- what a frame needs
    def losses(self) -> dict[str, float | None]:
        return {"d": _item(self._last["d"]), "g": _item(self._last["g"])}

    def stat_tensors(self) -> torch.Tensor | None:
        """[d_loss, g_loss, d_real_acc, d_fake_acc, d_real_mean, d_fake_mean] of the last D and G
        steps as one tensor on the device (no sync: sum these per iteration for epoch means);
        None until both parts have run once."""
        last = self._last
        if last["d"] is None or last["g"] is None:
            return None
        rp, fp = last["real_prob"], last["fake_prob"]
        return torch.stack([last["d"].float(), last["g"].float(), (rp > 0.5).float().mean(),
                            (fp < 0.5).float().mean(), rp.float().mean(), fp.float().mean()])

    def stats(self) -> StepStats:
        """Iteration, epoch progress, last losses, D accuracy and mean D on the last batches."""
        rp, fp = self._last["real_prob"], self._last["fake_prob"]
        acc = None if rp is None else torch.stack([(rp > 0.5).float().mean(), (fp < 0.5).float().mean(),
                                                   rp.float().mean(), fp.float().mean()]).tolist()
        n = self.data.count
        return StepStats(self.iteration, self.images_seen // n, self.images_seen / n, self.images_seen,
                         *self.losses().values(), *(acc or (None,) * 4))

    def steps_per_epoch(self) -> float:
        """D steps (real batches) per epoch at the current batch size."""
        return self.data.count / self.config.batch_size

    @torch.no_grad()
    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """G(z, y) in eval mode as [0, 1] images (N, 28, 28) on the trainer's device."""
        was = self.G.training
        self.G.eval()
        try:
            return self.to_unit(self.G(z.to(self.device), None if y is None else y.to(self.device)))
        finally:
            self.G.train(was)

    def sample(self, n: int, labels: torch.Tensor | None = None, batch: int = 1000,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n fresh samples in [0, 1] (n, 28, 28) and their labels (cgan: balanced unless given)."""
        g = generator or self.sample_rng
        if self.n_classes and labels is None:
            labels = torch.arange(n, device=self.device) % self.n_classes
        out = []
        for s in range(0, n, batch):
            m = min(batch, n - s)
            z = torch.randn(m, self.config.latent_dim, generator=g, device=self.device)
            out.append(self.generate(z, None if labels is None else labels[s:s + m]))
        images = torch.cat(out) if out else torch.zeros(0, 28, 28, device=self.device)
        return images, labels

    def sample_grid(self) -> SampleGrid:
        """The fixed-noise grid: 8×8 samples, or for cgan one row of 8 per class."""
        images = self.generate(self.fixed_z, self.fixed_labels)
        return SampleGrid(images, self.grid_rows, self.grid_cols, self.fixed_labels)

    def class_grid(self, label: int) -> SampleGrid:
        """cgan class picker: cols×cols samples of class `label` from their own fixed noise."""
        if not 0 <= label < self.n_classes:
            raise ValueError(f"label must be in [0, {self.n_classes - 1}] (conditional models only)")
        z, y = class_noise(self.seed, self.config.latent_dim, label, self.grid_cols, self.device)
        return SampleGrid(self.generate(z, y), self.grid_cols, self.grid_cols, y)

    def interpolate(self, a: int, b: int, steps: int = 10,
                    method: Literal["linear", "slerp"] = "slerp", label: int | None = None) -> torch.Tensor:
        """Images (steps, 28, 28) on the path between grid samples a and b (latent and, for cgan,
        one-hot label interpolated together: a morph from one class into another); with `label`,
        between samples of that class's grid (`class_grid`)."""
        if label is None:
            z, y = self.fixed_z, self.fixed_labels
        else:
            z, y = class_noise(self.seed, self.config.latent_dim, label, self.grid_cols, self.device)
        return interpolate(self, z, y, a, b, steps, method)

    def frozen_copy(self) -> "ImageTrainer":
        """A copy for evaluation in another thread: own G and D (eval only), shared read-only data,
        no optimizers; the original trains on undisturbed."""
        c = copy.copy(self)
        c.G, c.D = copy.deepcopy(self.G), copy.deepcopy(self.D)
        c.g_params, c.opt_g, c.opt_d = list(c.G.parameters()), None, None
        c.rng = torch.Generator(self.device).manual_seed(self.seed + 1)
        c.sample_rng = torch.Generator(self.device).manual_seed(self.seed + 3)
        set_dropout(c.D, None, c.rng)
        c._last = dict(self._last)
        return c

    @torch.no_grad()
    def d_prob(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's probability that each [0, 1] (or uint8) image is real, in eval mode (no dropout): (N,)."""
        was = self.D.training
        self.D.eval()
        try:
            out = self.D(self.to_model_range(images.to(self.device)),
                         None if labels is None else labels.to(self.device))
            return self.loss.prob(out).view(-1)
        finally:
            self.D.train(was)
