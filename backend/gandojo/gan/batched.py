"""Batched training: K compatible Trainer2D members stacked into one model, trained with bmm.

Members must share `compat_key` (noise, both architectures, optimizer kinds, loss, k_d, k_g, batch
size, label smoothing, R1 weight, device; no instance noise, packing or unrolling). Each member keeps its
own dataset, view normalisation, learning rate, betas and momentum (as [K] tensors) and draws its
real data and noise from its own generator in the same order as `Trainer2D.iterate`, so a batched
iteration equals the solo one up to float rounding (bmm instead of addmm). With `shared_rng`, all
draws come from that one generator instead (one call per distinct dataset: faster, but members'
trajectories then depend on the batch and are no longer those of solo training). Losses are summed over
members, never averaged: member k's gradient is exactly its own loss's gradient.

`BatchedTrainer(members)` gathers (stacks) parameters and optimizer state; `iterate(n)` trains;
`hand_back()` writes every member's parameters (as views of the stacks), optimizer state in
torch.optim's own format, iteration counter and last losses back, so solo training continues
seamlessly. Members must not be touched by anyone else between gathering and handing back.
`fakes_with_gradients`, `d_probs` and `g_of` are gan/probes.py's frame probes for all members.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import vmap

from .losses import LOSSES, gradient_penalty
from .models import sample_noise
from .trainer import Trainer2D

Tensor = torch.Tensor
STATE_KEYS = {"sgd": ("momentum_buffer",), "adam": ("exp_avg", "exp_avg_sq"),
              "rmsprop": ("square_avg", "momentum_buffer")}


def compat_key(t: Trainer2D) -> tuple | None:
    """Who can share a batch with `t` (equal keys), or None when `t` must train solo."""
    if not isinstance(t, Trainer2D):
        return None
    c = t.config
    if c.instance_noise > 0 or c.pack != 1 or c.unrolled_steps:
        return None
    nets = tuple((n.optimizer, *n.architecture()) for n in (c.generator, c.discriminator))
    gp = c.gp_weight if LOSSES[c.loss].gradient_penalty else 0.0
    return (str(t.device), c.noise.dim, c.noise.distribution, nets, c.loss, gp, c.k_d, c.k_g,
            c.batch_size, c.label_smoothing, c.r1_weight)


def _col(values: list[float], like: Tensor) -> Tensor:
    """A [K] list of per-member numbers as a tensor broadcasting over [K, ...]."""
    col = torch.tensor(values, dtype=like.dtype, device=like.device)
    return col.view(-1, *[1] * (like.dim() - 1))


def _fit(col: Tensor, x: Tensor) -> Tensor:
    """A [K, 1, 1] per-member column reshaped to broadcast over x ([K, a] or [K, a, b])."""
    return col if x.dim() == 3 else col.view(-1, 1)


class StackedNet:
    """K ScaledMLPs of one shape as stacked parameters [K, ...] and buffers [K, 1, dim]."""

    def __init__(self, nets: list[nn.Module]) -> None:
        self.nets = nets
        self.layers = list(nets[0])  # Linear modules mark where stacked weights go
        per_member = [list(n.parameters()) for n in nets]
        self.params = [torch.stack([m[i].detach() for m in per_member]).requires_grad_(True)
                       for i in range(len(per_member[0]))]
        self.buffers = {name: torch.stack([getattr(n, name) for n in nets]).unsqueeze(1)
                        for name in ("in_bias", "in_scale", "out_shift", "out_scale")}

    def __call__(self, x: Tensor, index: Tensor | None = None) -> Tensor:
        """x [K, B, in] -> [K, B, out], each member through its own network (or x [k, B, in] for
        the k members in `index`)."""
        params, b = self.params, self.buffers
        if index is not None:
            params, b = [p[index] for p in params], {k: v[index] for k, v in b.items()}
        h = torch.addcmul(b["in_bias"], x, b["in_scale"])
        i = 0
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                w, bias = params[i], params[i + 1]
                if torch.is_grad_enabled():
                    h = torch.baddbmm(bias.unsqueeze(1), h, w.transpose(1, 2))
                else:  # probes (heatmaps of 4096 points): matmul + bias is 2-3x faster here
                    h = torch.matmul(h, w.transpose(1, 2)) + bias.unsqueeze(1)
                i += 2
            else:
                h = layer(h)
        return torch.addcmul(b["out_shift"], h, b["out_scale"])

    def hand_back(self) -> None:
        """Point every member's parameters at its slice of the stacks (no copy)."""
        views = [stacked.detach().unbind(0) for stacked in self.params]
        for k, params in enumerate(self._member_params()):
            for p, v in zip(params, views):
                p.data = v[k]

    def _member_params(self) -> list[list[nn.Parameter]]:
        return [list(n.parameters()) for n in self.nets]


class StackedOptimizer:
    """SGD / Adam / RMSprop over stacked parameters with per-member hyper-parameters, following
    torch.optim's update rules (no weight decay, dampening, nesterov, amsgrad or centring)."""

    def __init__(self, net: StackedNet, opts: list[torch.optim.Optimizer], kind: str) -> None:
        self.net, self.opts, self.kind = net, opts, kind
        groups = [o.param_groups[0] for o in opts]
        self.lrs = [float(g["lr"]) for g in groups]
        self.momentum = [float(g.get("momentum", 0.0)) for g in groups]
        self.eps, self.alpha = groups[0].get("eps", 1e-8), groups[0].get("alpha", 0.99)
        like = net.params[0].detach()[:, :1, :1]  # [K, 1, 1]: broadcasts over any stacked shape
        self._lr, self._mom = _col(self.lrs, like), _col(self.momentum, like)
        if kind == "adam":
            self.betas = [(float(g["betas"][0]), float(g["betas"][1])) for g in groups]
            self._b2 = _col([b[1] for b in self.betas], like)
            # 1 - β in double, rounded once (as torch.optim does): 1 - float32(β) would put a
            # relative error of up to 2**-24·β/(1 - β) (60 ppm for β₂ = 0.999) on every increment
            self._1mb1 = _col([1 - b[0] for b in self.betas], like)
            self._1mb2 = _col([1 - b[1] for b in self.betas], like)
        member_params = net._member_params()
        self.steps = [float(o.state.get(ps[0], {}).get("step", 0.0))
                      for o, ps in zip(opts, member_params)]
        self.state = {key: [torch.stack([self._state_of(o, ps[i], key) for o, ps in
                                         zip(opts, member_params)]) for i in range(len(net.params))]
                      for key in STATE_KEYS[kind]}

    @staticmethod
    def _state_of(opt: torch.optim.Optimizer, p: nn.Parameter, key: str) -> Tensor:
        value = opt.state.get(p, {}).get(key)
        return torch.zeros_like(p) if value is None else value.detach()

    @torch.no_grad()
    def step(self, grads: list[Tensor]) -> None:
        self.steps = [s + 1 for s in self.steps]
        getattr(self, f"_{self.kind}")(grads)

    def _sgd(self, grads: list[Tensor]) -> None:
        for i, (p, g) in enumerate(zip(self.net.params, grads)):
            buf = self.state["momentum_buffer"][i]
            buf.mul_(_fit(self._mom, buf)).add_(g)
            p.sub_(_fit(self._lr, p) * buf)

    def _adam(self, grads: list[Tensor]) -> None:
        like = self._lr
        bc1 = [1 - b1 ** s for (b1, _), s in zip(self.betas, self.steps)]
        bc2_sqrt = _col([math.sqrt(1 - b2 ** s) for (_, b2), s in zip(self.betas, self.steps)], like)
        step_size = _col([-lr / c for lr, c in zip(self.lrs, bc1)], like)
        for i, (p, g) in enumerate(zip(self.net.params, grads)):
            m, v = self.state["exp_avg"][i], self.state["exp_avg_sq"][i]
            m.lerp_(g, _fit(self._1mb1, m))
            v.mul_(_fit(self._b2, v)).addcmul_(g, g * _fit(self._1mb2, v))
            denom = (v.sqrt() / _fit(bc2_sqrt, v)).add_(self.eps)
            p.add_(_fit(step_size, p) * (m / denom))

    def _rmsprop(self, grads: list[Tensor]) -> None:
        for i, (p, g) in enumerate(zip(self.net.params, grads)):
            sq, buf = self.state["square_avg"][i], self.state["momentum_buffer"][i]
            sq.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)
            avg = sq.sqrt().add_(self.eps)
            buf.mul_(_fit(self._mom, buf)).add_(g / avg)
            p.sub_(_fit(self._lr, p) * buf)

    def hand_back(self) -> None:
        """Each member's optimizer state, in torch.optim's format, as views of the stacks."""
        views = {key: [s.unbind(0) for s in stacks] for key, stacks in self.state.items()}
        for k, (opt, params) in enumerate(zip(self.opts, self.net._member_params())):
            for i, p in enumerate(params):
                state = {key: views[key][i][k] for key in views}
                if self.kind != "adam" and self.momentum[k] == 0:
                    del state["momentum_buffer"]  # torch keeps no buffer without momentum
                if self.kind != "sgd":
                    state["step"] = torch.tensor(self.steps[k], dtype=torch.float32)
                if state:
                    opt.state[p] = state
                else:  # torch's SGD without momentum keeps no state at all
                    opt.state.pop(p, None)


def _member_losses(fn, *outs: Tensor) -> Tensor:
    """A solo loss (mean over its batch) applied to each member's outputs: [K]."""
    return vmap(fn)(*outs)


class BatchedTrainer:
    """K compatible members trained as one batched model (see the module docstring)."""

    def __init__(self, members: list[Trainer2D], shared_rng: torch.Generator | None = None) -> None:
        keys = {compat_key(m) for m in members}
        if not members or None in keys or len(keys) != 1:
            raise ValueError("members must be non-empty and share one compat_key")
        self.members = members
        cfg = members[0].config
        self.cfg, self.loss = cfg, LOSSES[cfg.loss]
        self.G = StackedNet([m.G for m in members])
        self.D = StackedNet([m.D for m in members])
        self.opt_g = StackedOptimizer(self.G, [m.opt_g for m in members], cfg.generator.optimizer)
        self.opt_d = StackedOptimizer(self.D, [m.opt_d for m in members], cfg.discriminator.optimizer)
        self.shared_rng = shared_rng
        by_data: dict[int, list[int]] = {}
        for k, m in enumerate(members):
            by_data.setdefault(id(m.dataset), []).append(k)
        self._by_data = [(members[ks[0]].dataset, len(ks)) for ks in by_data.values()]
        order = [k for ks in by_data.values() for k in ks]
        self._unsort = torch.argsort(torch.tensor(order)) if order != sorted(order) else None
        self.iterations = 0
        self.loss_d: Tensor | None = None
        self.loss_g: Tensor | None = None

    def _noise(self) -> Tensor:
        n, noise, g = self.cfg.batch_size, self.cfg.noise, self.shared_rng
        if g is not None:
            return sample_noise(len(self.members) * n, noise, g).view(len(self.members), n, -1)
        return torch.stack([sample_noise(n, noise, m.rng) for m in self.members])

    def _real(self) -> Tensor:
        """[K, batch, 2] real samples: each member's from its generator, or, with a shared
        generator, one draw per distinct dataset object (members keep their own datasets)."""
        n, g = self.cfg.batch_size, self.shared_rng
        if g is None:
            return torch.stack([m.dataset.sample(n, m.rng) for m in self.members])
        parts = [ds.sample(count * n, g).view(count, n, 2) for ds, count in self._by_data]
        real = parts[0] if len(parts) == 1 else torch.cat(parts)
        return real if self._unsort is None else real[self._unsort]

    def d_step(self) -> None:
        n = self.cfg.batch_size
        real = self._real()
        z = self._noise()
        with torch.no_grad():
            fake = self.G(z)
        r1 = self.cfg.r1_weight
        if r1 > 0:
            real.requires_grad_(True)
        x = torch.cat([real, fake], dim=1)
        out = self.D(x)
        r, f = out[:, :n], out[:, n:]
        smooth = self.cfg.label_smoothing
        loss = _member_losses(lambda a, b: self.loss.d_loss(a, b, smooth), r, f)
        if self.loss.gradient_penalty and self.cfg.gp_weight > 0:
            loss = loss + self.cfg.gp_weight * self._gradient_penalty(real.detach(), fake)
        if r1 > 0:  # losses.r1_penalty per member: E‖∇_x D(x)‖² over its real batch
            (grad,) = torch.autograd.grad(r.sum(), real, create_graph=True)
            loss = loss + 0.5 * r1 * grad.square().sum(dim=(1, 2)) / n
        grads = torch.autograd.grad(loss.sum(), self.D.params)
        self.opt_d.step(list(grads))
        self.loss_d = loss.detach()

    def _gradient_penalty(self, real: Tensor, fake: Tensor) -> Tensor:
        """losses.gradient_penalty per member [K]: alpha from the shared generator, or each
        member's own (the draws a solo trainer makes)."""
        if self.shared_rng is not None:
            return gradient_penalty(self.D, real, fake, self.shared_rng)
        alpha = torch.stack([torch.rand(real.shape[1], 1, generator=m.rng, device=real.device)
                             for m in self.members])
        return gradient_penalty(self.D, real, fake, alpha=alpha)

    def g_step(self) -> None:
        fake = self.G(self._noise())
        loss = _member_losses(self.loss.g_loss, self.D(fake))
        grads = torch.autograd.grad(loss.sum(), self.G.params)
        self.opt_g.step(list(grads))
        self.loss_g = loss.detach()

    # ------------------------------------------------------------ frame probes (gan/probes.py)
    def fakes_with_gradients(self, z: Tensor, index: Tensor | None = None
                             ) -> tuple[Tensor, Tensor, Tensor]:
        """probes.fakes_with_gradients of every member (or those in `index`) at once:
        z [k, N, dim] -> fakes [k, N, 2], D's probabilities [k, N] and -∂(N·L_G)/∂x [k, N, 2]."""
        with torch.no_grad():
            fake = self.G(z, index)
        x = fake.clone().requires_grad_(True)
        out = self.D(x, index)
        loss = _member_losses(self.loss.g_loss, out) * x.shape[1]
        (grad,) = torch.autograd.grad(loss.sum(), x)
        return fake, self.loss.prob(out.detach()).squeeze(-1), -grad

    @torch.no_grad()
    def d_probs(self, x: Tensor, index: Tensor | None = None) -> Tensor:
        """D's probabilities [k, M] on points x [k, M, 2] (probes.heatmap on a plane grid)."""
        return self.loss.prob(self.D(x, index)).squeeze(-1)

    @torch.no_grad()
    def g_of(self, z: Tensor, index: Tensor | None = None) -> Tensor:
        """G of the same noise points z [M, dim] for every member (or those in `index`):
        [k, M, 2] (the manifold)."""
        k = len(self.members) if index is None else len(index)
        return self.G(z.expand(k, *z.shape), index)

    def iterate(self, n: int = 1) -> None:
        """n iterations of every member: k_d D steps then k_g G steps each."""
        for _ in range(n):
            for _ in range(self.cfg.k_d):
                self.d_step()
            for _ in range(self.cfg.k_g):
                self.g_step()
            self.iterations += 1

    def hand_back(self) -> None:
        """Write parameters, optimizer state, iteration counters and last losses back."""
        for part in (self.G, self.D, self.opt_g, self.opt_d):
            part.hand_back()
        for k, m in enumerate(self.members):
            m.trained_elsewhere(self.iterations, *self.member_losses(k))
        self.iterations = 0

    def member_losses(self, k: int) -> tuple[Tensor | None, Tensor | None]:
        """Member k's last D and G losses (None before its first batched step)."""
        if self.loss_d is None:
            return None, None
        return self.loss_d[k], self.loss_g[k]


def train_together(members: list[Trainer2D], iterations: int) -> None:
    """`iterations` more iterations for every member: stacked where two or more share a
    `compat_key`, solo otherwise (a stack of one buys nothing); members end handed back."""
    groups: dict = {}
    for t in members:
        groups.setdefault(compat_key(t), []).append(t)
    for key, ts in groups.items():
        if key is not None and len(ts) > 1:
            bt = BatchedTrainer(ts)
            bt.iterate(iterations)
            bt.hand_back()
            continue
        for t in ts:
            for _ in range(iterations):
                t.iterate()
