"""Cures for mode collapse: instance noise, label smoothing, R1, PacGAN packing, unrolled D."""

import math

import pytest
import torch

from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.cures import instance_noise_sigma, unrolled_d_params
from gandojo.gan.datasets import get_dataset
from gandojo.gan.losses import LOSSES, r1_penalty
from gandojo.gan.trainer import Trainer2D
from numerics import assert_f32_close, f32_bound, f32_excess, reduction_ops

ALL_CURES = {"instance_noise": 0.1, "instance_noise_anneal": 50, "label_smoothing": 0.2,
             "r1_weight": 1.0, "pack": 2, "unrolled_steps": 2}


def trainer(dataset="gaussians", seed=0, **patch):
    return Trainer2D(get_dataset(dataset), merged_config(GanConfig(), patch), seed)


def flat(params):
    return torch.cat([p.detach().flatten() for p in params]).clone()


def d_inputs(t, part):
    """Run one step of `part` and return every tensor D's first layer was called with."""
    seen = []
    hook = t.D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    try:
        t.iterate(part)
    finally:
        hook.remove()
    return seen


# ----------------------------------------------------------------- instance noise
def test_instance_noise_sigma_anneals_linearly_to_zero():
    cfg = merged_config(GanConfig(), {"instance_noise": 0.4, "instance_noise_anneal": 100})
    assert [instance_noise_sigma(cfg, i) for i in (0, 25, 50, 100, 500)] == pytest.approx(
        [0.4, 0.3, 0.2, 0.0, 0.0])
    const = merged_config(GanConfig(), {"instance_noise": 0.4})
    assert instance_noise_sigma(const, 10_000) == 0.4
    assert instance_noise_sigma(GanConfig(), 0) == 0.0


def test_instance_noise_perturbs_real_and_fake_inputs_of_d():
    stages = {}
    t = trainer(instance_noise=0.3, k_d=1)
    t.iterate("d", observe=lambda i, **data: stages.setdefault(i, data))
    clean_real, clean_fake = stages[1]["real"], stages[1]["fake"]
    noisy_real, noisy_fake = stages[2]["real"], stages[2]["fake"]
    for clean, noisy in ((clean_real, noisy_real), (clean_fake, noisy_fake)):
        diff = noisy - clean
        assert float(diff.abs().min()) > 0
        assert float(diff.std()) == pytest.approx(0.3, rel=0.15)  # 150 × 2 draws of N(0, 0.3²)


def test_instance_noise_reaches_the_g_step_and_is_gone_after_the_anneal():
    t = trainer(instance_noise=0.3, instance_noise_anneal=3, k_d=1)
    fakes = {}
    seen = []
    hook = t.D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    t.iterate("g", observe=lambda i, **data: fakes.setdefault(i, data))
    assert not torch.allclose(seen[-1], fakes[7]["fake"].detach())  # noisy fakes in the G step
    while t.iteration < 3:
        t.iterate()
    assert t.noise_sigma() == 0.0
    seen.clear()
    stages = {}
    t.iterate(observe=lambda i, **data: stages.setdefault(i, data))
    hook.remove()
    assert torch.equal(stages[2]["real"], stages[1]["real"])
    assert torch.equal(seen[-1], stages[7]["fake"].detach())


# ----------------------------------------------------------------- label smoothing
def test_label_smoothing_formula_on_known_logits():
    r, f, s = torch.tensor([2.0, -0.5]), torch.tensor([-1.0, 0.3]), 0.1
    sig = torch.sigmoid
    expected = (-((1 - s) * sig(r).log() + s * (1 - sig(r)).log()).mean()
                - (1 - sig(f)).log().mean())
    # two float32 formulas (softplus vs log σ): ≤ 16 roundings each on per-sample terms of size
    # ≤ |logit| + log 2 (LSGAN: (|logit| + 1)²); a wrong s (0.1 vs 0.11) moves them by 7.5e-3
    scale = float(torch.cat([r, f]).abs().max()) + 1
    tol = 2 * f32_bound(scale, ops=16)
    for name in ("minimax", "nonsaturating"):
        assert abs(float(LOSSES[name].d_loss(r, f, s)) - float(expected)) <= tol
        # one-sided: smoothing adds exactly s * mean(real logit) (two losses: twice the bound)
        diff = float(LOSSES[name].d_loss(r, f, s) - LOSSES[name].d_loss(r, f))
        assert abs(diff - s * float(r.mean())) <= 2 * tol
        assert abs(diff - 0.11 * float(r.mean())) > 2 * tol  # the bound still sees a wrong s
    lsgan = 0.5 * ((r - 0.9).square().mean() + f.square().mean())
    assert abs(float(LOSSES["lsgan"].d_loss(r, f, s)) - float(lsgan)) <= 2 * f32_bound(scale ** 2, 8)
    for name in ("wgan-gp", "hinge"):  # no targets: no effect
        assert float(LOSSES[name].d_loss(r, f, s)) == float(LOSSES[name].d_loss(r, f))
        assert not LOSSES[name].smoothable


@pytest.mark.parametrize("loss", ["nonsaturating", "lsgan"])
def test_trainer_d_loss_uses_the_smoothed_target(loss):
    t = trainer(label_smoothing=0.25, loss=loss, k_d=1)
    outs = []
    hook = t.D.register_forward_hook(lambda m, args, out: outs.append(out.detach().clone()))
    t.iterate("d")
    hook.remove()
    b = t.config.batch_size
    expected = LOSSES[loss].d_loss(outs[0][:b], outs[0][b:], 0.25)
    assert t.losses()["d"] == pytest.approx(float(expected), rel=1e-6)


# ----------------------------------------------------------------- R1
def test_r1_penalty_zero_for_constant_d_positive_otherwise():
    t = trainer(r1_weight=10.0)
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    assert float(r1_penalty(t.D(x), x).detach()) > 0
    with torch.no_grad():
        for p in t.D.parameters():
            p.zero_()
        t.D[-1].bias.fill_(0.7)  # D(x) = 0.7 everywhere
    assert float(r1_penalty(t.D(x), x).detach()) == 0.0
    linear = torch.nn.Linear(2, 1)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[3.0, 4.0]]))
    assert float(r1_penalty(linear(x), x).detach()) == pytest.approx(25.0)  # ‖∇‖² = 25


def test_r1_adds_gamma_half_times_penalty_to_the_d_loss():
    losses = []
    for gamma in (0.0, 4.0):
        t = trainer(r1_weight=gamma, k_d=1, discriminator={"neurons": 16})
        # D works on u = (x − 0.5)·2 (the unit square mapped to [−1, 1]²):
        # D(x) = 0.25 · Σ_j relu(u₀ + 5), so ∇ₓD = (16 · 0.25 · 2, 0) = (8, 0) on the data
        with torch.no_grad():
            t.D[0].weight.copy_(torch.tensor([[1.0, 0.0]] * 16))
            t.D[0].bias.fill_(5.0)  # all ReLUs active for points in the plane
            t.D[2].weight.fill_(0.25)
        t.iterate("d")
        losses.append(t.losses()["d"])
    # ‖∇‖² = 64 is exact here (sums of 0.5s); each loss rounds once at its own size (≤ 128 + 1)
    assert abs(losses[1] - losses[0] - 0.5 * 4.0 * 64.0) <= 2 * f32_bound(129.0 + abs(losses[0]), 4)


# ----------------------------------------------------------------- PacGAN
def test_pack_builds_d_with_2_pack_inputs_and_d_logits_takes_single_points():
    t = trainer(pack=3)
    assert t.D[0].in_features == 6
    x = torch.rand(5, 2)
    out = t.d_logits(x)
    assert out.shape == (5, 1)
    assert torch.equal(out, t.D(torch.cat([x, x, x], dim=1)))
    seen = d_inputs(t, "d")
    b = t.config.batch_size
    assert all(s.shape == (2 * b, 6) for s in seen)  # b real packs + b fake packs, 3 samples each


def test_pack_change_rebuilds_other_cures_are_live():
    t = trainer()
    t.iterate()
    live = {k: v for k, v in ALL_CURES.items() if k != "pack"}
    assert not t.apply_config(merged_config(t.config, live))
    assert t.iteration == 1
    assert t.apply_config(merged_config(t.config, {"pack": 2}))
    assert t.iteration == 0 and t.D[0].in_features == 4


def test_packed_observer_data_is_per_sample():
    t = trainer(pack=2, k_d=1)
    stages = {}
    t.iterate(observe=lambda i, **data: stages.setdefault(i, data))
    n = 2 * t.config.batch_size
    assert stages[1]["real"].shape == (n, 2) and stages[2]["d_real"].shape[0] == n
    assert stages[7]["d_fake"].shape[0] == n and stages[9]["fake_grad"].shape == (n, 2)


# ----------------------------------------------------------------- unrolled
def test_unrolled_one_step_is_plain_sgd():
    t = trainer()
    real, fake = torch.rand(32, 2), torch.rand(32, 2)
    loss = LOSSES["nonsaturating"].d_loss
    params = unrolled_d_params(t.D, loss, real, fake, 1, 0.5)
    out = t.D(torch.cat([real, fake]))
    grads = torch.autograd.grad(loss(out[:32], out[32:]), list(t.D.parameters()))
    for (name, p), g, new in zip(t.D.named_parameters(), grads, params.values()):
        # the same autograd on the same tensors, then p − 0.5·g: a gradient reduced over 64 rows
        # (tensor scale max|g|) and two roundings of the update (relative to |p| + 0.5|g|)
        bound = f32_bound(p.detach().abs() + 0.5 * g.abs(), 2) \
            + 0.5 * f32_bound(float(g.abs().max()), reduction_ops(64) + 16)
        assert_f32_close(new.detach(), (p - 0.5 * g).detach(), bound, name)
        assert f32_excess(new.detach(), (p - 0.45 * g).detach(), bound) > 1  # lr 0.45 is caught


def test_unrolled_g_step_leaves_d_alone_and_changes_g_gradient():
    grads = []
    for k in (0, 3):
        t = trainer(unrolled_steps=k, seed=4, discriminator={"lr": 0.5})
        t.iterate()
        d0 = flat(t.D.parameters())
        d_grads = [p.grad.clone() for p in t.D.parameters()]
        t.iterate("g")
        assert torch.equal(d0, flat(t.D.parameters()))
        assert all(torch.equal(a, p.grad) for a, p in zip(d_grads, t.D.parameters()))
        grads.append(torch.cat([p.grad.flatten() for p in t.G.parameters()]))
    assert not torch.allclose(grads[0], grads[1])


# ----------------------------------------------------------------- every cure, every loss
@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("cure", list(ALL_CURES) + ["all"])
def test_each_cure_trains_a_step_with_each_loss(loss, cure):
    patch = dict(ALL_CURES) if cure == "all" else {cure: ALL_CURES[cure]}
    if cure == "instance_noise_anneal":
        patch["instance_noise"] = 0.1
    t = trainer("ring8", loss=loss, **patch)
    g0, d0 = flat(t.G.parameters()), flat(t.D.parameters())
    t.iterate()
    t.iterate(observe=lambda i, **data: None)
    assert not torch.equal(g0, flat(t.G.parameters()))
    assert not torch.equal(d0, flat(t.D.parameters()))
    assert all(v is not None and math.isfinite(v) for v in t.losses().values())


def test_determinism_with_all_cures_on():
    runs = []
    for seed in (7, 7, 8):
        t = trainer("ring8", seed=seed, generator={"optimizer": "adam"}, **ALL_CURES)
        traj = []
        for _ in range(15):
            t.iterate()
            traj.append(tuple(t.losses().values()))
        runs.append((traj, flat(t.G.parameters()), flat(t.D.parameters())))
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1]) and torch.equal(runs[0][2], runs[1][2])
    assert not torch.equal(runs[0][1], runs[2][1])


def test_cures_off_draw_nothing_extra():
    """An anneal without noise changes nothing: the trajectory is the default one."""
    a, b = trainer(seed=3), trainer(seed=3, instance_noise_anneal=100)
    for _ in range(5):
        a.iterate()
        b.iterate()
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
    assert a.losses() == b.losses() and torch.equal(flat(a.G.parameters()), flat(b.G.parameters()))
