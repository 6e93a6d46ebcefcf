"""Batched training: each member's update equals its solo update; hand-back lets solo go on."""

import pytest
import torch

from gandojo.gan.batched import BatchedTrainer, compat_key
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.losses import LOSSES
from gandojo.gan.trainer import Trainer2D

DATASETS = ("gaussians", "ring8", "grid25")  # three different views (normalisations)


def trainer(dataset="gaussians", seed=0, **patch):
    return Trainer2D(get_dataset(dataset), merged_config(GanConfig(), patch), seed)


def members(opt="sgd", loss="nonsaturating", momentum=(0.0, 0.5, 0.9), lrs=(0.01, 0.003, 0.02)):
    """Three members on different datasets, seeds, learning rates and momenta."""
    return [trainer(ds, seed, loss=loss,
                    generator={"optimizer": opt, "lr": lr, "momentum": mom, "betas": (0.5, 0.99)},
                    discriminator={"optimizer": opt, "lr": 2 * lr, "momentum": mom})
            for seed, (ds, lr, mom) in enumerate(zip(DATASETS, lrs, momentum))]


def params(t):
    return [p.detach().clone() for p in (*t.G.parameters(), *t.D.parameters())]


def assert_same(batched, solo, atol):
    for a, b in zip(batched, solo):
        assert a.iteration == b.iteration
        for p, q in zip(params(a), params(b)):
            torch.testing.assert_close(p, q, atol=atol, rtol=1e-4)
        for opt_a, opt_b in ((a.opt_d, b.opt_d), (a.opt_g, b.opt_g)):
            sa, sb = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
            assert sa.keys() == sb.keys()
            for i in sa:
                assert sa[i].keys() == sb[i].keys()
                for key in sa[i]:
                    torch.testing.assert_close(sa[i][key], sb[i][key], atol=atol, rtol=1e-4)


def run_both(make, n_before=1, n_batched=2):
    """Twins from the same seeds: one set trained batched, the other solo; the same draws."""
    batched, solo = make(), make()
    for t in (*batched, *solo):
        for _ in range(n_before):
            t.iterate()  # optimizer state exists before the batched chunk
    bt = BatchedTrainer(batched)
    bt.iterate(n_batched)
    bt.hand_back()
    for t in solo:
        for _ in range(n_batched):
            t.iterate()
    return batched, solo


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
def test_sgd_equals_solo_for_each_loss(loss, momentum):
    batched, solo = run_both(lambda: members("sgd", loss, momentum))
    assert_same(batched, solo, atol=1e-6)
    for a, b in zip(batched, solo):
        assert a.losses() == pytest.approx(b.losses(), rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("opt", ["adam", "rmsprop"])
@pytest.mark.parametrize("loss", ["nonsaturating", "minimax", "lsgan"])
def test_adaptive_optimizers_equal_solo(opt, loss):
    batched, solo = run_both(lambda: members(opt, loss))
    assert_same(batched, solo, atol=2e-5)


def test_members_with_different_lrs_move_in_proportion():
    lrs = (0.01, 0.04, 0.1)
    ms = [trainer("gaussians", 5, k_d=1, discriminator={"lr": lr}) for lr in lrs]  # same data
    d0 = [p.detach().clone() for p in ms[0].D.parameters()]
    bt = BatchedTrainer(ms)
    bt.iterate(1)
    bt.hand_back()
    moves = [torch.cat([(p.detach() - q).flatten() for p, q in zip(m.D.parameters(), d0)])
             for m in ms]  # one SGD step from the same start on the same batch: -lr · g
    for lr, move in zip(lrs[1:], moves[1:]):
        torch.testing.assert_close(move, moves[0] * (lr / lrs[0]), atol=1e-6, rtol=1e-4)


def test_hand_back_then_solo_training_continues_exactly():
    batched, solo = run_both(lambda: members("adam"), n_before=0, n_batched=3)
    for t in (*batched, *solo):
        for _ in range(3):
            t.iterate()
    assert_same(batched, solo, atol=5e-5)
    assert batched[0].iteration == 6


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
    for cure in ({"instance_noise": 0.1}, {"r1_weight": 1.0}, {"pack": 2}, {"unrolled_steps": 2}):
        assert compat_key(trainer(**cure)) is None
    with pytest.raises(ValueError):
        BatchedTrainer([base, trainer(generator={"neurons": 16})])
