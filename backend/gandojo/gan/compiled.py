"""A functional, torch.compile-able version of Trainer2D's iteration (pure torch).

One iteration (k_d D steps, then k_g G steps) is written as one function of tensors only:
parameters and buffers go in through `torch.func.functional_call` on template modules, gradients
come from `torch.func.grad_and_value`, and the SGD / Adam / RMSprop updates follow torch.optim's
rules, applied in place to the trainer's own parameters and optimizer state. So the eager and the
compiled step can take turns on one trainer at any iteration.

* Randomness is drawn outside the function, with the same generator calls in the same order as
  the eager steps (per D step: a real batch, then noise; per G step: noise), so the RNG stream,
  and with it the seed's trajectory, is the eager one; results agree within float32 rounding.
* Hyper-parameters (learning rates, momenta, betas) enter as a tensor: a live change needs no
  recompile. Shapes, losses, optimizer kinds, k_d/k_g, pack and label smoothing are static
  (`step_key`); a change of any of them needs another compiled step.
* Configs the function cannot express (`unsupported`) keep the eager step: the R1 penalty,
  WGAN-GP's gradient penalty, unrolled D, instance noise. Slow motion observers always use the
  eager step (Trainer2D.iterate only takes the fast step without observers, for part "both").
"""

from __future__ import annotations

import math
import types
from itertools import count
from typing import Any, Callable

import torch
from torch.func import functional_call, grad_and_value

from .config import GanConfig, NetConfig
from .cures import pack_rows
from .losses import LOSSES
from .models import mlp, sample_noise

Tensor = torch.Tensor
EPS = 1e-8  # torch.optim's default eps for Adam and RMSprop (Trainer2D uses the defaults)
RMS_ALPHA = 0.99  # torch.optim.RMSprop's default smoothing constant
HYPER = 8  # per net: lr, momentum, b1, 1-b1, b2, 1-b2, log b1, log b2
_ids = count()


def unsupported(cfg: GanConfig) -> str | None:
    """Why `cfg` must train eagerly (None: the functional step expresses it)."""
    if cfg.r1_weight > 0:
        return "the R1 penalty needs a double backward (eager)"
    if LOSSES[cfg.loss].gradient_penalty and cfg.gp_weight > 0:
        return "WGAN-GP's gradient penalty needs a double backward (eager)"
    if cfg.unrolled_steps:
        return "unrolled D needs a differentiable inner loop (eager)"
    if cfg.instance_noise > 0:
        return "instance noise changes with the iteration (eager)"
    return None


def step_key(cfg: GanConfig, device: torch.device | str) -> tuple:
    """Everything a compiled step is specialised on (a change needs another one)."""
    nets = tuple((n.hidden_layers, n.neurons, n.activation, n.optimizer)
                 for n in (cfg.generator, cfg.discriminator))
    return (nets, cfg.noise.dim, cfg.batch_size, cfg.pack, cfg.loss, cfg.label_smoothing,
            cfg.k_d, cfg.k_g, str(torch.device(device)))


def hyper_values(net: NetConfig) -> list[float]:
    """One net's row of the hyper-parameter tensor, computed in double precision."""
    b1, b2 = net.betas

    def log(b: float) -> float:
        return math.log(b) if b > 0 else -math.inf

    return [net.lr, net.momentum, b1, 1.0 - b1, b2, 1.0 - b2, log(b1), log(b2)]


# ------------------------------------------------------------------- optimizer updates (traced)
def _sgd(params, grads, state, h) -> None:
    (bufs,) = state
    on = h[1] > 0  # momentum 0: the buffer is left as it is (torch keeps, but ignores, it)
    for p, g, buf in zip(params, grads, bufs):
        new = torch.where(on, buf * h[1] + g, buf)
        buf.copy_(new)
        p.sub_(h[0] * torch.where(on, new, g))


def _adam(params, grads, state, h) -> None:
    steps, exp_avgs, exp_avg_sqs = state
    t = steps[0] + 1
    for s in steps:
        s.add_(1)
    bc1 = -torch.expm1(t * h[6])  # 1 - b1^t without cancellation
    bc2_sqrt = torch.sqrt(-torch.expm1(t * h[7]))
    step_size = h[0] / bc1
    for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
        m.copy_(m + h[3] * (g - m))  # lerp towards g by 1 - b1
        v.copy_(v * h[4] + h[5] * g * g)
        p.sub_(step_size * (m / (v.sqrt() / bc2_sqrt + EPS)))


def _rmsprop(params, grads, state, h) -> None:
    steps, square_avgs, bufs = state
    for s in steps:
        s.add_(1)
    on = h[1] > 0
    for p, g, sq, buf in zip(params, grads, square_avgs, bufs):
        sq.copy_(sq * RMS_ALPHA + (1 - RMS_ALPHA) * g * g)
        scaled = g / (sq.sqrt() + EPS)
        new = torch.where(on, buf * h[1] + scaled, buf)
        buf.copy_(new)
        p.sub_(h[0] * torch.where(on, new, scaled))


UPDATES: dict[str, Callable] = {"sgd": _sgd, "adam": _adam, "rmsprop": _rmsprop}
STATE_KEYS = {"sgd": ("momentum_buffer",), "adam": ("step", "exp_avg", "exp_avg_sq"),
              "rmsprop": ("step", "square_avg", "momentum_buffer")}


def make_iteration(cfg: GanConfig) -> tuple[Callable, dict[str, Any]]:
    """The functional iteration for `cfg` and its template modules / names.

    fn(gp, dp, gb, db, gs, ds, h, reals, zds, zgs) -> (last D loss, last G loss) updates the
    parameter lists gp/dp and optimizer state lists gs/ds in place; gb/db are the buffers, h the
    (2, HYPER) hyper-parameters (row 0: G, row 1: D), reals/zds the k_d real batches and noises,
    zgs the k_g noises. The function gets a code object of its own, so that each compiled step
    has its own torch.compile cache (no recompiles between steps of different configs).
    """
    init = torch.Generator().manual_seed(0)  # the templates' values are never used
    G = mlp(cfg.noise.dim, 2, cfg.generator, init)
    D = mlp(2 * cfg.pack, 1, cfg.discriminator, init)
    names = {"gp": [n for n, _ in G.named_parameters()], "dp": [n for n, _ in D.named_parameters()],
             "gb": [n for n, _ in G.named_buffers()], "db": [n for n, _ in D.named_buffers()]}
    loss, pack, batch, smooth = LOSSES[cfg.loss], cfg.pack, cfg.batch_size, cfg.label_smoothing
    upd_g, upd_d = UPDATES[cfg.generator.optimizer], UPDATES[cfg.discriminator.optimizer]
    gpn, dpn, gbn, dbn = names["gp"], names["dp"], names["gb"], names["db"]

    def iteration(gp, dp, gb, db, gs, ds, h, reals, zds, zgs):
        def g_fwd(p, z):
            return functional_call(G, {**dict(zip(gpn, p)), **dict(zip(gbn, gb))}, (z,))

        def d_fwd(p, x):
            return functional_call(D, {**dict(zip(dpn, p)), **dict(zip(dbn, db))}, (x,))

        loss_d = loss_g = None
        for real, z in zip(reals, zds):
            fake = g_fwd(gp, z)

            def d_loss(p):
                out = d_fwd(p, pack_rows(torch.cat([real, fake]), pack))
                r, f = out[:batch], out[batch:]
                return loss.d_loss(r, f, smooth) if smooth else loss.d_loss(r, f)

            grads, loss_d = grad_and_value(d_loss)(list(dp))
            upd_d(dp, grads, ds, h[1])
        for z in zgs:
            def g_loss(p):
                return loss.g_loss(d_fwd(dp, pack_rows(g_fwd(p, z), pack)))

            grads, loss_g = grad_and_value(g_loss)(list(gp))
            upd_g(gp, grads, gs, h[0])
        return loss_d, loss_g

    code = iteration.__code__
    code = code.replace(co_name=f"gan_iteration_{next(_ids)}")
    fn = types.FunctionType(code, iteration.__globals__, code.co_name, None, iteration.__closure__)
    return fn, {"G": G, "D": D, "names": names}


def example_inputs(cfg: GanConfig, templates: dict[str, Any], device: torch.device) -> tuple:
    """Inputs of the right shapes (template values, zero state) for a warm-up call."""
    G, D = templates["G"].to(device), templates["D"].to(device)

    def state(kind: str, params: list[Tensor]) -> list[list[Tensor]]:
        return [[torch.zeros((), device="cpu") for _ in params] if key == "step"
                else [torch.zeros_like(p) for p in params] for key in STATE_KEYS[kind]]

    gp = [p.detach().clone() for p in G.parameters()]
    dp = [p.detach().clone() for p in D.parameters()]
    gen = torch.Generator(device).manual_seed(0)
    n = cfg.batch_size * cfg.pack
    draw = [(torch.rand(n, 2, generator=gen, device=device),
             sample_noise(n, cfg.noise, gen)) for _ in range(cfg.k_d)]
    h = torch.tensor([hyper_values(cfg.generator), hyper_values(cfg.discriminator)], device=device)
    return (gp, dp, [b.clone() for b in G.buffers()], [b.clone() for b in D.buffers()],
            state(cfg.generator.optimizer, gp), state(cfg.discriminator.optimizer, dp), h,
            [r for r, _ in draw], [z for _, z in draw],
            [sample_noise(n, cfg.noise, gen) for _ in range(cfg.k_g)])


class FunctionalStep:
    """The iteration of one `step_key`, compiled (torch.compile) or not; shared by trainers.

    `warm_up()` compiles it on example inputs (call it off the training thread: it takes tens
    of seconds on a CPU). Calls after that only use what was compiled: inputs that would need a
    recompile run the same function uncompiled instead (torch._dynamo.run), never compile.
    """

    def __init__(self, cfg: GanConfig, device: torch.device | str = "cpu", compile: bool = True,
                 **compile_kwargs: Any) -> None:
        self.cfg, self.device = cfg, torch.device(device)
        self.key = step_key(cfg, self.device)
        self.fn, self.templates = make_iteration(cfg)
        self.compiled = None
        if compile:
            self.compiled = torch.compile(self.fn, fullgraph=True, dynamic=False, **compile_kwargs)
        self._run = self.fn if self.compiled is None else torch._dynamo.run(self.compiled)

    def warm_up(self) -> None:
        """Compile now (one call on example inputs; the trainer is not touched)."""
        if self.compiled is not None:
            self.compiled(*example_inputs(self.cfg, self.templates, self.device))

    def __call__(self, *inputs: Any) -> tuple[Tensor, Tensor]:
        return self._run(*inputs)


class BoundStep:
    """A FunctionalStep used as `Trainer2D.fast_step`: `step(trainer)` runs one iteration on the
    trainer's own parameters, optimizer state and RNG, or returns False (nothing done, nothing
    drawn) when the trainer's config no longer fits the step; the trainer then runs eagerly."""

    def __init__(self, step: FunctionalStep, on_error: Callable[[BaseException], None] | None = None):
        self.step, self.on_error = step, on_error
        self.error: BaseException | None = None
        self._cfg: GanConfig | None = None
        self._h: Tensor | None = None
        self._scratch: dict[int, Tensor] = {}

    def fits(self, t) -> bool:
        """Whether trainer `t`'s current config runs with this step (hyper-parameters refreshed)."""
        cfg = t.config
        if cfg is self._cfg:
            return self.error is None
        if step_key(cfg, t.device) != self.step.key or unsupported(cfg) is not None:
            return False
        self._cfg = cfg
        self._h = torch.tensor([hyper_values(cfg.generator), hyper_values(cfg.discriminator)],
                               device=t.device)
        return self.error is None

    def __call__(self, t) -> bool:
        if not self.fits(t):
            return False
        cfg, rng = self._cfg, t.rng
        d_params = list(t.D.parameters())
        gs = self._state(t.opt_g, t.g_params, cfg.generator)
        ds = self._state(t.opt_d, d_params, cfg.discriminator)
        n = cfg.batch_size * cfg.pack
        reals, zds = [], []
        for _ in range(cfg.k_d):  # the eager D step's draws, in its order: real batch, noise
            reals.append(t.dataset.sample(n, rng))
            zds.append(sample_noise(n, cfg.noise, rng))
        zgs = [sample_noise(n, cfg.noise, rng) for _ in range(cfg.k_g)]
        inputs = ([p.detach() for p in t.g_params], [p.detach() for p in d_params],
                  list(t.G.buffers()), list(t.D.buffers()), gs, ds, self._h, reals, zds, zgs)
        try:
            loss_d, loss_g = self.step(*inputs)
        except Exception as exc:  # this iteration runs uncompiled on the same draws; then eager
            self.error = exc
            loss_d, loss_g = self.step.fn(*inputs)
            if self.on_error is not None:
                self.on_error(exc)
        t._loss_d, t._loss_g = loss_d, loss_g
        return True

    def _state(self, opt: torch.optim.Optimizer, params: list, net: NetConfig) -> list[list[Tensor]]:
        """The optimizer's state tensors by STATE_KEYS, created as torch.optim creates them on
        its first step; a momentum buffer torch would not keep (momentum 0) is a scratch one."""
        kind = net.optimizer
        out: list[list[Tensor]] = [[] for _ in STATE_KEYS[kind]]
        for p in params:
            st = opt.state.get(p, {})
            if kind != "sgd" and "step" not in st:  # torch's lazy state of the first step
                st["step"] = torch.tensor(0.0)
                for key in ("exp_avg", "exp_avg_sq") if kind == "adam" else ("square_avg",):
                    st[key] = torch.zeros_like(p.detach())
            if "momentum_buffer" in STATE_KEYS[kind] and "momentum_buffer" not in st and net.momentum > 0:
                st["momentum_buffer"] = torch.zeros_like(p.detach())  # torch's first: 0·buf + g
            if st:
                opt.state[p] = st
            for values, key in zip(out, STATE_KEYS[kind]):
                values.append(st[key] if key in st else
                              self._scratch.setdefault(id(p), torch.zeros_like(p.detach())))
        return out
