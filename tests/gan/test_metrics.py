"""KL/JS by grid and the VEEGAN/PacGAN mode metrics on constructed samples."""

import pytest
import torch

from gandojo.gan.datasets import get_dataset
from gandojo.gan.metrics import grid_histogram, grid_kl_js, mode_metrics

UNIT = ((0.0, 1.0), (0.0, 1.0))


def test_identical_samples_give_zero():
    x = get_dataset("gaussians").sample(2500, torch.Generator().manual_seed(0))
    kl, js = grid_kl_js(x, x, UNIT)
    assert kl == pytest.approx(0.0, abs=1e-12) and js == pytest.approx(0.0, abs=1e-12)


def test_two_draws_of_one_distribution_are_close():
    d = get_dataset("gaussians")
    a = d.sample(2500, torch.Generator().manual_seed(1))
    b = d.sample(2500, torch.Generator().manual_seed(2))
    kl, js = grid_kl_js(a, b, UNIT)
    assert 0 < js < 0.05 and 0 < kl < 0.5


def test_disjoint_supports_reach_the_maximum_js():
    g = torch.Generator().manual_seed(0)
    left = torch.rand(2500, 2, generator=g) * torch.tensor([0.4, 1.0])
    right = left + torch.tensor([0.5, 0.0])
    kl, js = grid_kl_js(left, right, UNIT)
    assert js == pytest.approx(1.0, abs=0.01)  # JS is at most one bit
    assert kl > 10


def test_every_sample_is_counted_including_outside_the_plane():
    x = torch.tensor([[0.5, 0.5], [2.0, 0.5], [-1.0, -1.0], [1.0, 1.0]])
    h = grid_histogram(x, UNIT, bins=4)
    assert h.sum() == 4 and h[-1] == 2  # (1, 1) lies on the closed upper edge: inside


def test_outside_mass_is_not_wrapped_into_the_plane():
    inside = torch.full((100, 2), 0.5)
    outside = torch.full((100, 2), 1.5)  # GAN Lab would wrap these back to 0.5
    _, js = grid_kl_js(inside, outside, UNIT)
    assert js == pytest.approx(1.0, abs=0.01)


def test_mode_metrics_full_coverage_and_single_mode():
    d = get_dataset("ring8")
    g = torch.Generator().manual_seed(0)
    full = d.sample(2500, g)
    m = mode_metrics(full, d.means, d.stds)
    assert (m.modes_captured, m.modes_total) == (8, 8)
    assert m.high_quality > 0.95 and m.reverse_kl < 0.01
    one = d.means[3] + 0.01 * torch.randn(2500, 2, generator=g)
    m1 = mode_metrics(one, d.means, d.stds)
    assert m1.modes_captured == 1 and m1.counts[3] > 2400
    assert m1.reverse_kl == pytest.approx(torch.log(torch.tensor(8.0)).item(), rel=0.01)


def test_low_quality_samples_capture_nothing():
    d = get_dataset("ring8")
    centre = torch.zeros(2500, 2)  # between all modes: far from each
    m = mode_metrics(centre, d.means, d.stds)
    assert m.modes_captured == 0 and m.high_quality == 0 and m.reverse_kl is None


def test_mahalanobis_for_anisotropic_modes():
    d = get_dataset("gaussians")  # second mode: sigma_x 0.05, sigma_y 0.2
    along_y = torch.tensor([[0.7, 0.4 + 0.5]])  # 2.5 sigma in y: high quality
    along_x = torch.tensor([[0.7 + 0.2, 0.4]])  # 4 sigma in x: not
    assert mode_metrics(along_y, d.means, d.stds).high_quality == 1.0
    assert mode_metrics(along_x, d.means, d.stds).high_quality == 0.0
