"""The lean iteration (no observers, no cures) is the observed step's arithmetic bit for bit."""

import pytest
import torch

from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D, lean_plan

PATCHES = [
    {},
    {"generator": {"optimizer": "adam", "lr": 0.001},
     "discriminator": {"optimizer": "rmsprop", "lr": 0.001, "momentum": 0.5}},
    {"discriminator": {"momentum": 0.5}, "label_smoothing": 0.1},
    {"loss": "lsgan", "k_d": 1, "k_g": 2},
    {"loss": "hinge", "generator": {"activation": "leaky_relu", "hidden_layers": 2},
     "discriminator": {"activation": "tanh"}},
    {"noise": {"dim": 1, "distribution": "uniform"}},
]


def _state(t: Trainer2D) -> list[torch.Tensor]:
    opt = [v for o in (t.opt_g, t.opt_d) for s in o.state_dict()["state"].values()
           for v in s.values() if torch.is_tensor(v)]
    return [*t.G.parameters(), *t.D.parameters(), *opt, t.rng.get_state()]


@pytest.mark.parametrize("patch", PATCHES)
def test_lean_iterations_equal_the_full_step_exactly(patch):
    cfg = merged_config(GanConfig(), patch)
    lean, full = (Trainer2D(get_dataset("ring"), cfg, 5) for _ in range(2))
    full._lean_for, full._lean = full.config, False  # the observed path's code, unobserved
    for part in ["both"] * 20 + ["d", "g", "both"]:
        lean.iterate(part)
        full.iterate(part)
    assert lean._lean and lean.iteration == full.iteration == 23
    assert lean.losses() == full.losses()
    a, b = _state(lean), _state(full)
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("cure", [{"pack": 2}, {"instance_noise": 0.1}, {"r1_weight": 1.0},
                                  {"unrolled_steps": 2}, {"loss": "wgan-gp"}])
def test_cures_take_the_full_step(cure):
    assert lean_plan(GanConfig()) and not lean_plan(merged_config(GanConfig(), cure))


def test_a_config_change_is_seen_by_the_next_iteration():
    t = Trainer2D(get_dataset("gaussians"), GanConfig(), 1)
    t.iterate()
    assert t._lean
    t.apply_config(merged_config(GanConfig(), {"r1_weight": 1.0}))  # live: no rebuild
    t.iterate()
    assert not t._lean
