"""ImageTrainer: seeding, live config, epochs, the sample grid, interpolation and D probabilities."""

import pytest
import torch

from gandojo.gan.images.config import default_image_config, merged_image_config
from gandojo.gan.images.trainer import ImageTrainer
from f32_images import image_bound
from numerics import assert_f32_close, f32_excess

CFG = dict(batch_size=16, latent_dim=8)


def _params(t):
    return [p.detach().clone() for p in (*t.G.parameters(), *t.D.parameters())]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_same_seed_same_trajectory_and_sampling_does_not_disturb_it(train_data):
    cfg = default_image_config("mlp", **CFG, discriminator={"dropout": 0.3}, instance_noise=0.1)
    a, b, c = (ImageTrainer(train_data, cfg, seed) for seed in (7, 7, 8))
    a.step(2)
    a.sample_grid(), a.sample(5), a.interpolate(0, 1, 4), a.d_prob(train_data.images[:4])
    a.step(1)
    b.step(3)
    c.step(3)
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
    assert _same(_params(a), _params(b))
    assert not _same(_params(a), _params(c))


def test_epoch_progress_counts_real_images(train_data):
    t = ImageTrainer(train_data.subset(40), default_image_config("mlp", **CFG, k_d=2), 0)
    s = t.step(1)
    assert s.images_seen == 32 and s.epoch == 0 and s.epoch_progress == pytest.approx(0.8)
    s = t.step(1)
    assert s.epoch == 1 and s.epoch_progress == pytest.approx(1.6)
    assert t.steps_per_epoch() == pytest.approx(2.5)


def test_live_config_keeps_models_rebuild_config_resets(train_data):
    t = ImageTrainer(train_data, default_image_config("mlp", **CFG), 0)
    t.step(1)
    before = _params(t)
    live = merged_image_config(t.config, {"generator": {"lr": 1e-3, "betas": [0.0, 0.9]}, "loss": "hinge",
                                          "discriminator": {"dropout": 0.5}, "batch_size": 32})
    assert t.apply_config(live) is False
    assert _same(before, _params(t)) and t.iteration == 1
    assert t.opt_g.param_groups[0]["lr"] == 1e-3 and t.opt_g.param_groups[0]["betas"] == (0.0, 0.9)
    assert any(getattr(m, "p", None) == 0.5 for m in t.D.modules())
    assert t.apply_config(merged_image_config(t.config, {"model": "dcgan"})) is True
    assert t.iteration == 0


def test_sample_grid_shapes(train_data):
    grid = ImageTrainer(train_data, default_image_config("mlp", **CFG), 0).sample_grid()
    assert grid.images.shape == (64, 28, 28) and (grid.rows, grid.cols) == (8, 8)
    assert grid.images.min() >= 0 and grid.images.max() <= 1 and grid.labels is None
    cgrid = ImageTrainer(train_data, default_image_config("cgan", **CFG), 0).sample_grid()
    assert cgrid.images.shape == (80, 28, 28) and (cgrid.rows, cgrid.cols) == (10, 8)
    assert cgrid.labels.view(10, 8)[:, 0].tolist() == list(range(10))  # one row per class


@pytest.mark.parametrize("model", ["mlp", "cgan"])
def test_interpolation_ends_at_the_two_grid_samples(train_data, model):
    t = ImageTrainer(train_data, default_image_config(model, **CFG), 0)
    grid = t.sample_grid().images
    path = t.interpolate(3, 60, steps=5)
    assert path.shape == (5, 28, 28)
    # a batch of 5 vs the grid's 64 (other kernels): equal up to float32 rounding of G
    y = t.fixed_labels
    bound = image_bound(t.G, t.fixed_z[[3, 60]], None if y is None else y[[3, 60]])
    assert_f32_close(path[0], grid[3], bound[0]) + assert_f32_close(path[-1], grid[60], bound[1])
    assert f32_excess(path[0], grid[4], bound[0]) > 10  # the neighbouring sample: a real bug fails
    with pytest.raises(IndexError):
        t.interpolate(0, 999)


def test_sigmoid_output_uses_unit_data(train_data):
    t = ImageTrainer(train_data, default_image_config("mlp", **CFG, output="sigmoid"), 0)
    x = t.to_model_range(train_data.images[:2])
    assert x.min() >= 0 and x.max() <= 1
    t.config = default_image_config("mlp", **CFG)
    assert t.to_model_range(train_data.images[:2]).min() == -1


def test_d_prob_is_a_probability_per_image(train_data):
    t = ImageTrainer(train_data, default_image_config("cgan", **CFG, loss="wgan-gp"), 0)
    p = t.d_prob(train_data.images[:6], train_data.labels[:6])
    assert p.shape == (6,) and ((p >= 0) & (p <= 1)).all()
