"""Presets and knobs: the registry is well formed, and the mode-collapse lab's acceptance.

Acceptance (5 seeds, Trainer2D, mode_metrics on 2500 generator samples after the preset's
iterations): on ring8 the overpowered-D provocation leaves ≤ 3 of 8 modes and the balanced
preset captures ≥ 7 of 8; on disjoint ≤ 1 of 3 vs 3 of 3 — each in at least 4 of 5 seeds.
"""

import pytest
import torch

from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import DATASETS, get_dataset
from gandojo.gan.metrics import mode_metrics
from gandojo.gan.models import sample_noise
from gandojo.gan.presets import KNOBS, PRESETS, Preset, presets_for
from gandojo.gan.trainer import Trainer2D

SEEDS = range(5)
MODE_DATASETS = ("gaussians", "disjoint", "ring8", "grid25")


def modes_captured(preset: Preset, dataset: str, seed: int) -> int:
    t = Trainer2D(get_dataset(dataset), preset.config(), seed)
    for _ in range(preset.iterations):
        t.iterate()
    with torch.no_grad():
        x = t.G(sample_noise(2500, t.config.noise, torch.Generator().manual_seed(1000 + seed)))
    return mode_metrics(x, t.dataset.means, t.dataset.stds).modes_captured


@pytest.mark.parametrize("name, at_most, at_least", [
    ("ring8-overpowered-d", 3, 0), ("ring8-balanced", 8, 7),
    ("disjoint-overpowered-d", 1, 0), ("disjoint-balanced", 3, 3),
])
def test_acceptance_provocation_collapses_balanced_covers(name, at_most, at_least):
    preset = PRESETS[name]
    captured = [modes_captured(preset, preset.datasets[0], s) for s in SEEDS]
    hits = sum(at_least <= m <= at_most for m in captured)
    assert hits >= 4, f"{name}: modes captured per seed {captured}"


# ----------------------------------------------------------------------------- registry
def test_every_preset_validates_and_names_real_datasets():
    for name, p in PRESETS.items():
        assert p.name == name and p.title and p.explanation
        assert isinstance(p.config(), GanConfig)
        assert p.datasets and all(d in DATASETS for d in p.datasets)
        assert p.kind in ("default", "balanced", "provocation", "cure")
        assert p.iterations is None or p.iterations > 0
        d = p.describe()
        assert d["config"] == p.config().model_dump() and d["kind"] == p.kind


def test_ganlab_default_is_kept():
    assert PRESETS["ganlab-default"].config() == GanConfig()


@pytest.mark.parametrize("dataset", MODE_DATASETS)
def test_each_mode_dataset_has_balanced_and_provocations(dataset):
    kinds = [p.kind for p in presets_for(dataset)]
    assert kinds.count("balanced") == 1 and kinds.count("provocation") >= 1
    assert PRESETS[f"{dataset}-balanced"].iterations


def test_cures_name_a_provocation_of_the_same_dataset_and_add_a_cure():
    cure_fields = ("instance_noise", "label_smoothing", "r1_weight", "pack", "unrolled_steps",
                   "loss")
    cures = [p for p in PRESETS.values() if p.kind == "cure"]
    assert cures
    for p in cures:
        base = PRESETS[p.cures]
        assert base.kind == "provocation" and base.datasets == p.datasets
        a, b = base.config(), p.config()
        assert any(getattr(a, f) != getattr(b, f) for f in cure_fields)


# ----------------------------------------------------------------------------- knobs
def extreme_configs():
    yield GanConfig()
    yield merged_config(GanConfig(), {"k_d": 100, "k_g": 100, "noise": {"dim": 16},
                                      "generator": {"lr": 10.0}, "discriminator": {"lr": 10.0}})
    yield merged_config(GanConfig(), {"k_d": 1, "k_g": 1, "noise": {"dim": 1},
                                      "generator": {"lr": 1e-300}, "discriminator": {"lr": 1e-9}})
    yield from (p.config() for p in PRESETS.values())


def test_every_knob_patch_validates_on_every_config():
    for cfg in extreme_configs():
        dumped = cfg.model_dump()
        for knob in KNOBS.values():
            assert knob.label and knob.description
            new = merged_config(cfg, knob.patch(cfg))  # raises if out of bounds
            assert isinstance(new, GanConfig)
            assert cfg.model_dump() == dumped  # pure: the config is not changed


def test_knobs_change_what_they_say_and_clamp_at_bounds():
    c = GanConfig()
    after = lambda name, cfg=c: merged_config(cfg, KNOBS[name].patch(cfg))  # noqa: E731
    assert after("d-lr-x10").discriminator.lr == pytest.approx(1.0)
    assert after("g-lr-div10").generator.lr == pytest.approx(0.003)
    assert after("kd-plus-1").k_d == 3 and after("kd-minus-1").k_d == 1
    assert after("noise-dim-1").noise.dim == 1 and after("minimax-loss").loss == "minimax"
    top = merged_config(c, {"k_d": 100, "discriminator": {"lr": 5.0}, "noise": {"dim": 12}})
    assert after("kd-plus-1", top).k_d == 100
    assert after("d-lr-x10", top).discriminator.lr == 10.0
    assert after("noise-dim-x2", top).noise.dim == 16
    assert after("kd-minus-1", after("kd-minus-1")).k_d == 1


@pytest.mark.parametrize("name", [k for k, v in KNOBS.items() if v.is_on is not None])
def test_toggle_knobs_switch_on_and_off(name):
    knob = KNOBS[name]
    c = GanConfig()
    assert knob.active(c) is False
    on = merged_config(c, knob.patch(c))
    assert knob.active(on) is True and on != c
    off = merged_config(on, knob.patch(on))
    assert knob.active(off) is False and off == c
