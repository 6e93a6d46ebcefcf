"""A first-order float32 error bound, per element, for the trajectory of a solo Trainer2D (tests).

`TrainingBound(trainer)` hooks a trainer and, at every optimizer step, bounds the error that float32
rounding can have put on each element of the parameters and of the optimizer state, whatever the
order in which a CPU's kernels add things up (see tests/numerics.py). Two paths that are each within
these bounds of the exact trajectory (e.g. batched and solo training) differ by at most twice them.

* Gradient g of a parameter: error ≤ OPS · U32 · A + ΔA. A is the absolute-value evaluation of the
  gradient expression (Σ|terms| of every sum in it), computed by autograd on an "absolute" copy of
  the networks: |W|, |b|, |input scale and shift|, activations replaced by the identity (|relu(z)|,
  |leaky_relu(z)|, |tanh(z)| ≤ |z| and their slopes ≤ 1), fed |inputs| and, at D's output,
  |∂L/∂out| + out_abs / B (the per-sample losses' second derivative is ≤ 1: softplus ¼, LSGAN 1,
  WGAN / hinge 0, so that also covers the error of ∂L/∂out itself). ΔA = A(|W| + E_W) − A(|W|) is
  the first-order change of the gradient caused by the parameters' own errors E_W from earlier
  steps (A is a polynomial with non-negative coefficients in |W|): this is why bounds grow with N.
* OPS = 2B + 2·Σ_layers (fan_in + 1) + 16 roundings on the longest path of one step: D's weight
  gradients sum over its B real and B fake rows, every layer of both networks is a dot product
  forward and backward, plus the loss and the input/output scaling.
* The update rules of SGD (momentum), Adam and RMSprop then carry these errors elementwise, each
  operation adding its own rounding (U32 relative to its result; 4 per update line, 6 for a
  normalised step u, as the stacked formulas take a few more operations than torch.optim's). Adaptive optimizers divide by
  √v: an element whose gradient is small next to its Σ|terms| gets a large bound there, exactly
  where float32 cannot know its direction (issue 9's failing RMSprop buffer was such an element).

Gradient penalties: WGAN-GP's absolute evaluation λ·mean (‖J_abs‖ + 1)² and R1's γ/2·mean ‖J_abs‖²,
with J_abs the absolute network's input Jacobian at the interpolates / real rows, are added to D's
total. Instance noise, packing and unrolling are not modelled (the batched trainer refuses them).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from numerics import U32

D64 = torch.float64


def step_ops(t) -> int:
    """OPS of the module docstring for trainer t."""
    fan = sum(m.in_features + 1 for net in (t.G, t.D) for m in net if isinstance(m, nn.Linear))
    return 2 * t.config.batch_size + 2 * fan + 16


SLOPE_OFF = {nn.ReLU: 0.0, nn.LeakyReLU: 0.2, nn.Tanh: 1.0}  # |act'| where z < 0 for sure


def abs_pair(m: nn.Module, weights: tuple[list, list], x_abs: tuple, x: torch.Tensor,
              rel: float, unsure: list | None = None
              ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """The absolute-value evaluation of ScaledMLP m at |parameters| weights[0] and, with the
    same slope masks, at weights[1] (|W| + E); x_abs the two absolute inputs, x the signed one.

    A hidden unit whose pre-activation is negative by more than its error bound (rel · z_abs plus
    the change that the parameter and input errors can make) is off for sure: ReLU gives an exact
    0 there (leaky ReLU 0.2 z), so its slope bound is SLOPE_OFF; elsewhere 1. Returns (out_abs at
    weights[0], out_abs at weights[1], masks); `unsure` collects, per hidden layer, where the
    pre-activation is within its error bound of the kink (two paths may disagree on the side)."""
    shift, scale = m.out_shift.to(D64).abs(), m.out_scale.to(D64).abs()
    h = [m.in_bias.to(D64).abs() + xa * m.in_scale.to(D64).abs() for xa in x_abs]
    hs = m.in_bias.to(D64) + x.to(D64) * m.in_scale.to(D64)
    its, masks = [iter(w) for w in weights], []
    for layer in m:
        if isinstance(layer, nn.Linear):
            h = [hk @ next(it).T + next(it) for hk, it in zip(h, its)]
            with torch.no_grad():
                hs = hs @ layer.weight.detach().to(D64).T + layer.bias.detach().to(D64)
        else:
            with torch.no_grad():
                slack = rel * h[1] + (h[1] - h[0])
                mask = torch.where(hs < -slack, SLOPE_OFF[type(layer)], 1.0).to(D64)
                if unsure is not None:
                    unsure.append((hs.abs() <= slack).to(D64))
                hs = layer(hs)
            masks.append(mask)
            h = [hk * mask for hk in h]
    return shift + h[0] * scale, shift + h[1] * scale, masks


def jacobian_rows(m: nn.Module, weights: list[torch.Tensor], masks: list[torch.Tensor]):
    """The absolute network's input Jacobian per row [rows, out, in]: |out_scale| |W_L| ...
    diag(mask_1) |W_1| diag(|in_scale|), the absolute evaluation of dm(x)/dx."""
    rows = masks[0].shape[0] if masks else 1
    jac = (weights[0] * m.in_scale.to(D64).abs()).expand(rows, -1, -1)
    for mask, w in zip(masks, weights[2::2]):
        jac = w @ (mask.unsqueeze(-1) * jac)
    return jac * m.out_scale.to(D64).abs().view(1, -1, 1)


def _jacobian_norms(m: nn.Module, weights: list[torch.Tensor], masks: list[torch.Tensor]):
    """The absolute evaluation of the input gradient's norm per row."""
    return jacobian_rows(m, weights, masks).flatten(1).norm(dim=1)


class TrainingBound:
    """Hooks a solo Trainer2D; `errors()` gives per-element error bounds of its parameters and
    optimizer state after the steps taken since (see the module docstring)."""

    def __init__(self, trainer, unit: float = U32) -> None:
        c = trainer.config
        assert not (c.instance_noise or c.pack != 1 or c.unrolled_steps)
        assert getattr(trainer, "fast_step", None) is None  # the hooked, eager step runs
        self.t, self.ops, self.u = trainer, step_ops(trainer), unit  # unit roundoff of the run
        self.calls = {"G": [], "D": []}  # network calls since the last optimizer step
        self.err = {p: torch.zeros_like(p, dtype=D64) for net in (trainer.G, trainer.D)
                    for p in net.parameters()}  # param -> {"param": E, state key: E}
        self.state_err: dict[nn.Parameter, dict[str, torch.Tensor]] = {}
        self.loss_err: dict[str, float] = {}
        self._grad_err: dict[nn.Parameter, torch.Tensor] = {}
        self.history: dict[nn.Parameter, list] = {}  # param -> [(g_s, bound of its error)]
        for name, net in (("G", trainer.G), ("D", trainer.D)):
            net.register_forward_hook(self._on_call(name))
        for which in ("d", "g"):
            opt = getattr(trainer, f"opt_{which}")
            opt.register_step_pre_hook(lambda o, a, k, w=which: self._before_step(w))
            opt.register_step_post_hook(lambda o, a, k, w=which: self._after_step(o))

    # ------------------------------------------------------------------ recording
    def _on_call(self, name: str):
        def hook(module, args, out):
            call = {"x": args[0].detach(), "grad": None}
            if out.requires_grad:
                out.register_hook(lambda g: call.__setitem__("grad", g.detach()))
            self.calls[name].append(call)
        return hook

    def _weights(self, net: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(|W|, |W| + E) of net's parameters as leaves for autograd."""
        w0 = [p.detach().to(D64).abs() for p in net.parameters()]
        w1 = [w + self.err[p] for w, p in zip(w0, net.parameters())]
        return [w.requires_grad_(True) for w in w0], [w.requires_grad_(True) for w in w1]

    @torch.enable_grad()
    def _abs_terms(self, which: str):
        """A at |W| and at |W| + E of every parameter of the stepping network, and the loss's
        absolute evaluation at both."""
        t, n, margin = self.t, self.t.config.batch_size, self.ops * self.u
        wg, wd = self._weights(t.G), self._weights(t.D)
        d_call, z = self.calls["D"][0], self.calls["G"][-1]["x"]  # the step's main D call
        fakes = abs_pair(t.G, wg, (z.abs(), z.abs()), z, margin)[:2]
        x = d_call["x"]
        if which == "d":  # D saw [real; fake]
            real = x[:n].to(D64).abs()
            x_abs = tuple(torch.cat([real, f]) for f in fakes)
        else:
            x_abs = fakes
        *outs, masks = abs_pair(t.D, wd, x_abs, x, margin)
        delta = d_call["grad"].to(D64).abs()
        totals = [(o * (delta + o.detach() / n)).sum() for o in outs]
        losses = [float(((o.detach() + 1) ** 2).mean()) * (2 if which == "d" else 1) for o in outs]
        if which == "d" and t.loss.gradient_penalty and t.config.gp_weight > 0:
            xi = self.calls["D"][1]["x"]  # the interpolates x̂: λ·mean (‖∇D(x̂)‖ − 1)²
            gp_masks = abs_pair(t.D, wd, (xi.abs(), xi.abs()), xi, margin)[2]
            totals = [tot + t.config.gp_weight * ((_jacobian_norms(t.D, w, gp_masks) + 1) ** 2).mean()
                      for tot, w in zip(totals, wd)]
        if which == "d" and t.config.r1_weight > 0:  # γ/2 · mean ‖∇D(real)‖² over the real rows
            real_masks = [mk[:n] for mk in masks]
            totals = [tot + 0.5 * t.config.r1_weight * (_jacobian_norms(t.D, w, real_masks) ** 2).mean()
                      for tot, w in zip(totals, wd)]
        leaves = wd if which == "d" else wg
        grads = [torch.autograd.grad(tot, ws) for tot, ws in zip(totals, leaves)]
        return grads, losses

    def _before_step(self, which: str) -> None:
        (a0, a1), (l0, l1) = self._abs_terms(which)
        net = self.t.D if which == "d" else self.t.G
        for p, x0, x1 in zip(net.parameters(), a0, a1):
            self._grad_err[p] = self.ops * self.u * x0 + (x1 - x0).clamp(min=0)
        self.loss_err[which] = self.ops * self.u * l0 + max(l1 - l0, 0.0)

    # ------------------------------------------------------------------ propagation
    def _after_step(self, opt: torch.optim.Optimizer) -> None:
        group = opt.param_groups[0]
        kind = type(opt).__name__.lower()
        for p in group["params"]:
            g, eg = p.grad.detach().to(D64), self._grad_err.pop(p)
            state = {k: v.detach().to(D64) for k, v in opt.state[p].items() if k != "step"}
            errs = self.state_err.setdefault(p, {k: torch.zeros_like(g) for k in state})
            hist = self.history.setdefault(p, [])
            hist.append((g, eg))
            step, grow = getattr(self, f"_{kind}")(group, opt.state[p], g, eg, state, errs, hist)
            pa = p.detach().to(D64).abs()
            self.err[p] = self.err[p] + step + 4 * self.u * (pa + grow)
        self.calls = {"G": [], "D": []}

    def _sgd(self, group, raw, g, eg, s, e, hist):
        """buf = μ·buf + g; p -= lr·buf. Returns (error added to p, |lr·buf|)."""
        lr, mom = group["lr"], group["momentum"]
        if not mom:
            return lr * eg, lr * g.abs()
        buf = s["momentum_buffer"]
        e["momentum_buffer"] = mom * e["momentum_buffer"] + eg + 4 * self.u * buf.abs()
        return lr * e["momentum_buffer"], lr * buf.abs()

    def _normalised(self, a, b, bc, eps, hist, cap):
        """Error bound of u = Σ a_s g_s / (√(Σ b_s g_s²) / bc + ε) over the gradient history
        `hist` [(g_s, e_s)]: Σ_s |∂u/∂g_s| e_s, which keeps the correlation of numerator and
        denominator (u = ±1/√b at the first step, whatever the error of g). Linear is only good
        while the errors move Σ b g² by under 10 %; beyond, and capped, u's whole range `cap`."""
        g = torch.stack([h[0] for h in hist])  # [t, ...]
        e = torch.stack([h[1] for h in hist])
        shape = (-1,) + (1,) * (g.dim() - 1)
        a = torch.tensor(a, dtype=D64).view(shape)
        b = torch.tensor(b, dtype=D64).view(shape)
        num, var = (a * g).sum(0), (b * g * g).sum(0)
        root = var.sqrt()
        d = root / bc + eps
        dd = b * g / (bc * root.clamp(min=1e-300))  # ∂d/∂g_s
        lin = ((a / d - num * dd / d ** 2).abs() * e).sum(0)
        moved = (b * (2 * g.abs() * e + e * e)).sum(0) / var.clamp(min=1e-300)
        out = torch.where(moved <= 0.1, 1.25 * lin, torch.full_like(lin, cap))
        out = torch.where((var == 0) & (e.sum(0) == 0), torch.zeros_like(out), out)
        return out.clamp(max=cap) + 6 * self.u * (num / d).abs()

    def _adam(self, group, raw, g, eg, s, e, hist):
        """m, v EMAs; p -= lr/bc1 · m / (√v / √bc2 + ε)."""
        (b1, b2), lr, eps = group["betas"], group["lr"], group["eps"]
        t = int(raw["step"])
        bc1, bc2 = 1 - b1 ** t, math.sqrt(1 - b2 ** t)
        m, v = s["exp_avg"], s["exp_avg_sq"]
        e["exp_avg"] = b1 * e["exp_avg"] + (1 - b1) * eg + 4 * self.u * m.abs()
        e["exp_avg_sq"] = b2 * e["exp_avg_sq"] + (1 - b2) * 2 * g.abs() * eg + 4 * self.u * v
        # whatever the gradients, |m̂| / √v̂ ≤ K (Cauchy–Schwarz over the two EMAs' weights), so
        # u = m / d lies in [-bc1·K, bc1·K] on every path
        r = b1 * b1 / b2
        geo = t if abs(r - 1) < 1e-12 else (1 - r ** t) / (1 - r)
        k = math.sqrt((1 - b1) ** 2 * (1 - b2 ** t) / (bc1 ** 2 * (1 - b2)) * geo)
        w1 = [(1 - b1) * b1 ** (t - 1 - i) for i in range(t)]
        w2 = [(1 - b2) * b2 ** (t - 1 - i) for i in range(t)]
        eu = self._normalised(w1, w2, bc2, eps, hist, 2 * bc1 * k * (1 + 4 * self.u))
        return lr / bc1 * eu, lr / bc1 * (m / (v.sqrt() / bc2 + eps)).abs()

    def _rmsprop(self, group, raw, g, eg, s, e, hist):
        """sq EMA of g²; u = g / (√sq + ε); buf = μ·buf + u; p -= lr·buf (or lr·u)."""
        lr, mom, alpha, eps = group["lr"], group["momentum"], group["alpha"], group["eps"]
        t, sq = int(raw["step"]), s["square_avg"]
        e["square_avg"] = alpha * e["square_avg"] + (1 - alpha) * 2 * g.abs() * eg + 4 * self.u * sq
        # sq ≥ (1 - α)·g² on every path, so |u| ≤ 1/√(1 - α)
        w2 = [(1 - alpha) * alpha ** (t - 1 - i) for i in range(t)]
        eu = self._normalised([0.0] * (t - 1) + [1.0], w2, 1.0, eps, hist,
                              2 * (1 + 4 * self.u) / math.sqrt(1 - alpha))
        u = g / (sq.sqrt() + eps)
        if not mom:
            return lr * eu, lr * u.abs()
        buf = s["momentum_buffer"]
        e["momentum_buffer"] = mom * e["momentum_buffer"] + eu + 4 * self.u * buf.abs()
        return lr * e["momentum_buffer"], lr * buf.abs()

    def restart(self) -> None:
        """Errors from here on only: call when the trained twins are bit-identical (same code so
        far, same process), keeping the gradient history that Adam and RMSprop still weigh."""
        self.err = {p: torch.zeros_like(e) for p, e in self.err.items()}
        self.state_err = {p: {k: torch.zeros_like(v) for k, v in d.items()}
                          for p, d in self.state_err.items()}
        self.history = {p: [(g, torch.zeros_like(e)) for g, e in h] for p, h in self.history.items()}

    # ------------------------------------------------------------------ results
    def errors(self, which: str) -> list[dict[str, torch.Tensor]]:
        """Per parameter of network `which` ("d" or "g"), in order: {"param": E, state key: E}."""
        net = self.t.D if which == "d" else self.t.G
        return [{"param": self.err[p], **self.state_err.get(p, {})} for p in net.parameters()]
