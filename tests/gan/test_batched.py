"""Batched training: each member's update equals its solo update; hand-back lets solo go on.

Batched (bmm, stacked optimizers) and solo (addmm, torch.optim) float32 arithmetic round
differently, and differently again on another CPU's vector unit (issue 9), so no comparison here
uses a tolerance read off one CPU: each element gets its float32 error bound from tests/f32_training.py
(absolute-value evaluation of the gradient, carried through the update rule; tests/numerics.py).
One step from bit-identical twins is compared in float32, the app's precision. Over several steps a
worst-case float32 bound compounds (GAN training is chaotic: an Adam step can turn a gradient lost in
rounding into a full step), so trajectories are compared in float64, where the same bound stays
~2**29 times smaller than any real bug. Each test also shows that a real bug fails the bound.
"""

import pytest
import torch

from gandojo.gan.batched import BatchedTrainer, compat_key
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.losses import LOSSES
from gandojo.gan.trainer import Trainer2D
from f32_training import TrainingBound
from numerics import U32, f32_excess

U64 = 2.0 ** -53  # float64 unit roundoff

DATASETS = ("gaussians", "ring8", "grid25")  # three different views (normalisations)


def trainer(dataset="gaussians", seed=0, **patch):
    return Trainer2D(get_dataset(dataset), merged_config(GanConfig(), patch), seed)


def members(opt="sgd", loss="nonsaturating", momentum=(0.0, 0.5, 0.9), lrs=(0.01, 0.003, 0.02),
            dtype=torch.float32):
    """Three members on different datasets, seeds, learning rates and momenta (G's Adam betas
    (0.5, 0.99), D's the default (0.9, 0.999))."""
    ms = [trainer(ds, seed, loss=loss,
                  generator={"optimizer": opt, "lr": lr, "momentum": mom, "betas": (0.5, 0.99)},
                  discriminator={"optimizer": opt, "lr": 2 * lr, "momentum": mom})
          for seed, (ds, lr, mom) in enumerate(zip(DATASETS, lrs, momentum))]
    for m in ms:
        m.G.to(dtype), m.D.to(dtype)  # in place: the optimizers keep their parameters
    return ms


def params(t):
    return [p.detach().clone() for p in (*t.G.parameters(), *t.D.parameters())]


def excess(pairs, bound: TrainingBound, which: str) -> float:
    """Worst |batched − solo| / (2 · bound) over one member's parameters and optimizer state of
    network `which`; pairs [(batched param, its state dict, solo param)]. Keys must match."""
    opt = getattr(bound.t, f"opt_{which}")
    worst = 0.0
    for (p, state, q), err in zip(pairs, bound.errors(which)):
        solo_state = {k: v for k, v in opt.state[q].items() if k != "step"}
        assert set(state) == set(solo_state)
        worst = max(worst, f32_excess(p, q, err["param"]),
                    *(f32_excess(state[k], v, err[k]) for k, v in solo_state.items()))
    return worst


def one_step(make, part, n_before, bug=None):
    """Twins trained n_before iterations alike (same code, same process: bit-identical, checked),
    then one `part` ("d" or "g") step: batched (all members) vs solo. `bug(bt, solo)` may break
    one side first. Returns the worst excess over the bounds, losses included."""
    batched, solo = make(), make()
    bounds = [TrainingBound(t) for t in solo]
    for t in (*batched, *solo):
        for _ in range(n_before):
            t.iterate()
    for a, b, bound in zip(batched, solo, bounds):
        assert all(torch.equal(p, q) for p, q in zip(params(a), params(b)))
        bound.restart()
    bt = BatchedTrainer(batched)
    bug and bug(bt, solo)
    getattr(bt, f"{part}_step")()
    for t in solo:
        getattr(t, f"{part}_step")()
    net, opt = (bt.D, bt.opt_d) if part == "d" else (bt.G, bt.opt_g)
    worst = 0.0
    for k, (t, bound) in enumerate(zip(solo, bounds)):
        states = [{key: opt.state[key][i][k] for key in opt.state
                   if key != "momentum_buffer" or opt.momentum[k]} for i in range(len(net.params))]
        pairs = zip((p[k] for p in net.params), states, t.parameters_of(part))
        loss = (bt.loss_d if part == "d" else bt.loss_g)[k]
        worst = max(worst, excess(pairs, bound, part),
                    f32_excess(loss, getattr(t, f"_loss_{part}"), bound.loss_err[part]))
    return worst


def run_both(make, n_before=1, n_batched=2, n_after=0, unit=U32, solo_bug=None,
             after_hand_back=None):
    """Twins from the same seeds: one set trained batched for n_batched iterations (after n_before
    solo ones), the other solo throughout; then both n_after more solo. Returns the worst excess
    over the solo twins' bounds (`unit`: the run's unit roundoff). solo_bug(None, solo) and
    after_hand_back(batched) may break one side."""
    batched, solo = make(), make()
    solo_bug and solo_bug(None, solo)
    bounds = [TrainingBound(t, unit) for t in solo]
    for t in (*batched, *solo):
        for _ in range(n_before):
            t.iterate()  # optimizer state exists before the batched chunk
    bt = BatchedTrainer(batched)
    bt.iterate(n_batched)
    bt.hand_back()
    after_hand_back and after_hand_back(batched)
    for t in solo:
        for _ in range(n_batched):
            t.iterate()
    for t in (*batched, *solo):
        for _ in range(n_after):
            t.iterate()
    worst = 0.0
    for a, b, bound in zip(batched, solo, bounds):
        assert a.iteration == b.iteration
        for which in "dg":
            opt = getattr(a, f"opt_{which}")
            pairs = [(p, {k: v for k, v in opt.state[p].items() if k != "step"}, q)
                     for p, q in zip(a.parameters_of(which), b.parameters_of(which))]
            worst = max(worst, excess(pairs, bound, which))
            steps = [[float(o.state[p]["step"]) for p in t.parameters_of(which) if "step" in o.state[p]]
                     for t, o in ((a, opt), (b, getattr(b, f"opt_{which}")))]
            assert steps[0] == steps[1]  # bias corrections count the same steps
    return worst


def test_batched_step_changes_every_member():
    ms = members()
    before = [params(m) for m in ms]
    bt = BatchedTrainer(ms)
    bt.iterate(1)
    bt.hand_back()
    for m, b in zip(ms, before):
        assert all(not torch.equal(p, q) for p, q in zip(params(m), b))
        assert m.iteration == 1 and all(v is not None for v in m.losses().values())


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("momentum", [(0.0, 0.0, 0.0), (0.0, 0.5, 0.9)])
def test_sgd_step_equals_solo_for_each_loss(loss, momentum):
    for part in "dg":  # a D step and a G step with momentum buffers already there
        assert one_step(lambda: members("sgd", loss, momentum), part, n_before=1) <= 1.0


@pytest.mark.parametrize("opt", ["adam", "rmsprop"])
@pytest.mark.parametrize("loss", ["nonsaturating", "minimax", "lsgan", "wgan-gp"])
def test_adaptive_optimizer_step_equals_solo(opt, loss):
    for part, n_before in (("d", 0), ("g", 0), ("d", 2), ("g", 2)):  # first step and third
        assert one_step(lambda: members(opt, loss), part, n_before) <= 1.0


def _groups(which, k=None, **hyper):
    """bug(bt, solo): solo member k's (or every solo member's) `which` optimizer uses `hyper`."""
    def bug(bt, solo):
        for t in solo if k is None else [solo[k]]:
            for group in getattr(t, f"opt_{which}").param_groups:
                group.update({key: f(group) if callable(f) else f for key, f in hyper.items()})
    return bug


def _batched_forgets_steps(which):
    """bug(bt, solo): the stacked optimizer loses the step count (no Adam bias correction)."""
    return lambda bt, solo: setattr(getattr(bt, f"opt_{which}"), "steps", [1e9] * len(solo))


def _drops_member(bt, solo):
    """bug(bt, solo): member 1's batched update is lost (its stacked gradient rows not applied)."""
    opt, snapshot = bt.opt_d, [p.detach()[1].clone() for p in bt.D.params]
    step = opt.step

    def dropped(grads):
        step(grads)
        with torch.no_grad():
            for p, old in zip(bt.D.params, snapshot):
                p[1] = old
    opt.step = dropped


@pytest.mark.parametrize("opt, part, n_before, bug", [
    ("adam", "d", 2, _groups("d", betas=(0.9, 0.99))),  # D's β₂ 0.999 taken for 0.99
    ("adam", "g", 2, _groups("g", betas=(0.55, 0.99))),  # G's β₁ 0.5 off by 0.05
    ("adam", "d", 2, _batched_forgets_steps("d")),  # no bias correction at step 3
    ("adam", "g", 0, _batched_forgets_steps("g")),  # ... nor at step 1
    ("rmsprop", "d", 2, _groups("d", 2, momentum=0.89)),  # momentum 0.9 off by 0.01
    ("rmsprop", "g", 2, _groups("g", alpha=0.98)),  # α 0.99 off by 0.01
    ("sgd", "d", 2, _groups("d", 2, momentum=0.89)),
    ("sgd", "g", 2, _groups("g", 1, momentum=0.495)),  # momentum 0.5 off by 1 %
    ("sgd", "d", 2, _groups("d", 0, lr=lambda g: g["lr"] * 1.01)),  # one member's lr 1 % off
    ("adam", "g", 2, _groups("g", 0, lr=lambda g: g["lr"] * 1.01)),
    ("sgd", "d", 1, _drops_member),
])
def test_a_real_bug_fails_the_float32_bound(opt, part, n_before, bug):
    """The bounds are not so loose that they let real bugs through (each fails by >10x)."""
    momentum = (0.0, 0.5, 0.9)
    assert one_step(lambda: members(opt, "nonsaturating", momentum), part, n_before, bug) > 10


def test_r1_penalty_equals_solo():
    """R1 batched (issue 13: R1 presets and cures train batched, in the engine and the tests).
    SGD, two iterations from the same start: each parameter within the float32 bound of a step
    (every gradient sums over 2·batch rows), relative to its magnitude; D's loss likewise."""
    from numerics import assert_f32_close, f32_bound, reduction_ops

    def make():
        return [trainer(ds, seed, r1_weight=1.0) for seed, ds in enumerate(DATASETS)]
    batched, solo = make(), make()
    bt = BatchedTrainer(batched)
    bt.iterate(2)
    bt.hand_back()
    for t in solo:
        for _ in range(2):
            t.iterate()
    cfg = solo[0].config
    ops, steps = reduction_ops(2 * cfg.batch_size) + 64, 2 * (cfg.k_d + cfg.k_g)
    for a, b in zip(batched, solo):
        assert torch.equal(a.rng.get_state(), b.rng.get_state())
        for p, q in zip(params(a), params(b)):
            assert_f32_close(p, q, f32_bound(q.abs().max().clamp(min=1.0), ops, steps), "R1")
        la, lb = a.losses()["d"], b.losses()["d"]
        assert abs(la - lb) <= 2 * f32_bound(max(abs(lb), 1.0), ops, steps)
    # the penalty is really there: without it the same members end elsewhere
    plain = [trainer(ds, seed) for seed, ds in enumerate(DATASETS)]
    bp = BatchedTrainer(plain)
    bp.iterate(2)
    bp.hand_back()
    assert any(not torch.equal(p, q) for p, q in zip(params(plain[0]), params(solo[0])))


def test_members_with_different_lrs_move_in_proportion():
    lrs = (0.01, 0.04, 0.1)

    def same_data():
        return [trainer("gaussians", 5, k_d=1, discriminator={"lr": lr}) for lr in lrs]
    ms, twins = same_data(), same_data()
    bounds = [TrainingBound(t) for t in twins]
    d0 = [p.detach().clone() for p in ms[0].D.parameters()]
    bt = BatchedTrainer(ms)
    bt.iterate(1)
    bt.hand_back()
    for t in twins:
        t.iterate()

    def moves(m):  # one SGD step from the same start on the same batch: exactly -lr · g
        return torch.cat([(p.detach() - q).flatten() for p, q in zip(m.D.parameters(), d0)])
    # each batched move is within its member's float32 bound of the exact -lr·g (D's bound after
    # its one step); the scaled reference adds one rounding of its own
    err = [torch.cat([e["param"].flatten() for e in b.errors("d")]) for b in bounds]
    for bug in (1.0, 1.01):  # the true ratio passes; a 1 % error in one member's lr does not
        for k in (1, 2):
            ratio = lrs[k] / lrs[0] * bug
            ref = moves(ms[0]) * ratio
            allowed = (err[k] + ratio * err[0] + U32 * ref.abs().double()) / 2
            assert (f32_excess(moves(ms[k]), ref, allowed) <= 1.0) == (bug == 1.0)


FLOAT64_RUNS = [("sgd", "lsgan"), ("sgd", "wgan-gp"), ("adam", "nonsaturating"), ("adam", "lsgan"),
                ("rmsprop", "minimax"), ("rmsprop", "lsgan")]


@pytest.mark.parametrize("opt, loss", FLOAT64_RUNS)
def test_batched_iterations_follow_the_solo_trajectory_in_float64(opt, loss):
    def make():
        return members(opt, loss, dtype=torch.float64)
    assert run_both(make, n_before=1, n_batched=2, unit=U64) <= 1.0
    # the same run with member 2's momentum off by 0.01 (Adam: D's β₂ 0.999 taken for 0.99)
    off = _groups("d", 2, **({"betas": (0.9, 0.99)} if opt == "adam" else {"momentum": 0.89}))
    assert run_both(make, n_before=1, n_batched=2, unit=U64, solo_bug=off) > 10


def test_hand_back_then_solo_training_continues_exactly():
    def make():
        return members("adam", dtype=torch.float64)

    def lose_first_moments(ms):  # a hand-back that leaves G's exp_avg behind
        for m in ms:
            for state in m.opt_g.state.values():
                state["exp_avg"] = torch.zeros_like(state["exp_avg"])
    assert run_both(make, n_before=0, n_batched=3, n_after=3, unit=U64) <= 1.0
    assert run_both(make, n_before=0, n_batched=3, n_after=3, unit=U64,
                    after_hand_back=lose_first_moments) > 10


def test_each_member_draws_exactly_its_solo_batches():
    """Issue 13: without a shared generator, member k's real batch and noise are bit-for-bit the
    ones its solo d_step would draw; with one, they are not (the old batching)."""
    ms, twins = members(), members()
    bt = BatchedTrainer(ms)
    real, z = bt._real(), bt._noise()
    for k, t in enumerate(twins):
        n = t.config.batch_size
        assert torch.equal(real[k], t.dataset.sample(n, t.rng))
        from gandojo.gan.models import sample_noise
        assert torch.equal(z[k], sample_noise(n, t.config.noise, t.rng))
    shared = BatchedTrainer(members(), shared_rng=torch.Generator().manual_seed(0))
    assert not torch.equal(shared._real()[0], members()[0].dataset.sample(150, members()[0].rng))


def test_shared_rng_trains_every_member_on_its_own_dataset():
    ms = members()
    bt = BatchedTrainer(ms, shared_rng=torch.Generator().manual_seed(0))
    real = bt._real()
    for m, r in zip(ms, real):  # each member's real batch lies on its own plane
        (x0, x1), (y0, y1) = m.dataset.view
        inside = (r[:, 0] > x0) & (r[:, 0] < x1) & (r[:, 1] > y0) & (r[:, 1] < y1)
        assert inside.float().mean() > 0.95
    bt.iterate(2)
    bt.hand_back()
    assert all(m.iteration == 2 for m in ms)


def test_compat_key():
    base = trainer()
    assert compat_key(base) == compat_key(trainer("ring", 9, generator={"lr": 0.5}))
    assert compat_key(base) != compat_key(trainer(generator={"neurons": 16}))
    assert compat_key(base) != compat_key(trainer(discriminator={"optimizer": "adam"}))
    for cure in ({"instance_noise": 0.1}, {"pack": 2}, {"unrolled_steps": 2}):
        assert compat_key(trainer(**cure)) is None
    assert compat_key(trainer(r1_weight=1.0)) not in (None, compat_key(base))
    with pytest.raises(ValueError):
        BatchedTrainer([base, trainer(generator={"neurons": 16})])
