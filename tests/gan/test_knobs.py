"""Issue 13: no one-click knob makes GAN Lab's default run diverge.

Each knob is applied once to the default config on the default dataset (mixture of Gaussians)
and trained with the gan-level trainer: batchable configs as one BatchedTrainer over the seeds
(each member draws exactly its solo batches, gan/batched.py), the others solo. Diverged: a
non-finite loss or parameter, or a parameter beyond 1e6.

The acceptance itself — 2,000 iterations in 5 seeds — is `benchmarks/accept_knobs.py`
(`make accept`, one JSON object, with the iteration each run diverged at). Here every knob runs
500 iterations in 3 seeds: a knob that breaks training breaks it fast, and the negative cases
below show this window catches it — the old WGAN-GP knob diverges within 5 iterations in every
seed, and a critic only half as fast (SGD lr 0.05), near the stability border, still diverges in
it (measured here, solo: seeds 0-2 at iterations 495, 5, 5; lr 0.03 survives 1,000).
"""

import pytest
import torch

from gandojo.gan.batched import compat_key, train_together
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.presets import KNOBS
from gandojo.gan.trainer import Trainer2D

SEEDS = range(3)
ITERATIONS = 500  # benchmarks/accept_knobs.py: 2,000 in 5 seeds
HUGE = 1e6


def alive(t: Trainer2D) -> bool:
    losses = [v for v in t.losses().values() if v is not None]
    params = torch.cat([p.detach().flatten() for p in (*t.G.parameters(), *t.D.parameters())])
    return bool(torch.isfinite(torch.tensor(losses)).all() and torch.isfinite(params).all()
                and params.abs().max() < HUGE)


def train(configs: list[GanConfig], iterations: int = ITERATIONS) -> list[list[bool]]:
    """Each config in SEEDS: alive per config and seed. Members that share a compat_key train
    as one BatchedTrainer (whatever their knob: one batch instead of dozens of runs)."""
    runs = [[Trainer2D(get_dataset("gaussians"), c, s) for s in SEEDS] for c in configs]
    train_together([t for ts in runs for t in ts], iterations)
    return [[alive(t) for t in ts] for ts in runs]


def knob_config(name: str) -> GanConfig:
    return merged_config(GanConfig(), KNOBS[name].patch(GanConfig()))


def knob_groups() -> dict[str, list[str]]:
    """Knobs whose configs can share one BatchedTrainer, named by their first knob; the others
    one group each (they train solo)."""
    groups: dict = {}
    for name in KNOBS:
        key = compat_key(Trainer2D(get_dataset("gaussians"), knob_config(name), 0))
        groups.setdefault(key if key is not None else name, []).append(name)
    return {names[0]: names for names in groups.values()}


GROUPS = knob_groups()


@pytest.mark.timeout(600)  # up to 3 × 500 solo iterations of a 5-step unrolled D
@pytest.mark.parametrize("group", list(GROUPS))
def test_no_knob_makes_the_default_run_diverge(group):
    names = GROUPS[group]
    runs = dict(zip(names, train([knob_config(n) for n in names])))
    dead = {n: alive for n, alive in runs.items() if not all(alive)}
    assert not dead, f"diverged (alive per seed): {dead}"


def test_the_check_catches_a_run_that_diverges():
    """The negative cases, in the test's window: the old WGAN-GP knob (the loss alone, SGD lr 0.1)
    goes to NaN in every seed; with the critic's lr halved (0.05) it still does in some."""
    old = merged_config(GanConfig(), {"loss": "wgan-gp"})
    old, half = train([old, merged_config(old, {"discriminator": {"lr": 0.05}})])
    assert not any(old), old
    assert not all(half), half


def test_critic_knobs_set_what_a_critic_needs_and_say_so():
    for name, loss, k_d in (("wgan-gp-loss", "wgan-gp", 5), ("hinge-loss", "hinge", 2)):
        knob = KNOBS[name]
        cfg = merged_config(GanConfig(), knob.patch(GanConfig()))
        assert cfg.loss == loss and cfg.k_d == k_d
        for net in (cfg.generator, cfg.discriminator):
            assert (net.optimizer, net.betas) == ("adam", (0.5, 0.9)) and net.lr <= 1e-3
        assert "Adam" in knob.note and "β (0.5, 0.9)" in knob.note
    assert merged_config(GanConfig(), KNOBS["wgan-gp-loss"].patch(GanConfig())).gp_weight == 10
