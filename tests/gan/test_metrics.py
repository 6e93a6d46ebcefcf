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


# ----------------------------------------------------------------- issue 13: share and spread
MODE_DATASETS = ("gaussians", "disjoint", "ring8", "grid25")


@pytest.mark.parametrize("name", MODE_DATASETS)
@pytest.mark.parametrize("seed", range(4))
def test_real_samples_capture_every_mode(name, seed):
    d = get_dataset(name)
    m = mode_metrics(d.sample(2500, torch.Generator().manual_seed(seed)), d.means, d.stds)
    assert m.modes_captured == m.modes_total and all(m.captured)
    assert min(s for s in m.spread) > 0.6


def test_a_streak_along_part_of_the_elongated_gaussian_is_not_captured():
    """The issue's finding: a thin streak over a fraction of the σx 0.05 / σy 0.2 mode counted as
    captured ("Modes 2/2") although JS stayed high."""
    d = get_dataset("gaussians")
    g = torch.Generator().manual_seed(0)
    first = d.means[0] + d.stds[0] * torch.randn(1250, 2, generator=g)  # mode 0 done properly
    u = torch.rand(1250, generator=g)
    streak = torch.stack([0.7 + 0.003 * torch.randn(1250, generator=g), 0.35 + 0.15 * u], 1)
    m = mode_metrics(torch.cat([first, streak]), d.means, d.stds)
    assert m.high_quality > 0.95 and m.counts[1] > 1200  # sharp, and plenty of them on the mode
    assert m.captured == [True, False] and m.modes_captured == 1
    assert m.spread[1] < 0.5


def test_a_streak_on_an_isotropic_mode_is_not_captured_in_any_direction():
    d = get_dataset("disjoint")
    g = torch.Generator().manual_seed(1)
    real = d.sample(2500, g)
    real = real[(real[:, None, :] - d.means[None]).norm(dim=-1).argmin(1) != 2]  # modes 0 and 1
    for direction in (torch.tensor([1.0, 0.0]), torch.tensor([0.6, 0.8])):
        streak = d.means[2] + 0.05 * (torch.rand(900, 1, generator=g) - 0.5) * direction
        m = mode_metrics(torch.cat([real, streak]), d.means, d.stds)
        assert m.counts[2] == 900 and not m.captured[2], direction
        assert m.captured[:2] == [True, True]


def test_a_few_stray_samples_do_not_capture_a_mode():
    d = get_dataset("ring8")
    g = torch.Generator().manual_seed(2)
    x = d.sample(2500, g)
    on_mode = (x[:, None, :] - d.means[None]).norm(dim=-1).argmin(1)
    keep = (on_mode != 5) | (torch.arange(2500) < 300)  # mode 5 keeps ~38 of its ~312 samples
    m = mode_metrics(x[keep], d.means, d.stds)
    assert 0 < m.counts[5] < 0.25 * keep.sum() / 8 and not m.captured[5]
    assert m.modes_captured == 7


@pytest.mark.parametrize("name", MODE_DATASETS)
def test_one_mode_only_captures_one_of_n(name):
    d = get_dataset(name)
    g = torch.Generator().manual_seed(3)
    one = d.means[1] + d.stds[1] * torch.randn(2500, 2, generator=g)
    m = mode_metrics(one, d.means, d.stds)
    assert (m.modes_captured, m.modes_total) == (1, len(d.means)) and m.captured[1]


def test_the_default_run_at_iteration_0_captures_nothing():
    """The page said "Modes 2/2" at iteration 0 (seed 0) before any training."""
    from gandojo.engine.frames import ProbeSet, build_frame
    from gandojo.gan.config import GanConfig
    from gandojo.gan.trainer import Trainer2D
    t = Trainer2D(get_dataset("gaussians"), GanConfig(), 0)
    m = build_frame(t, ProbeSet(t)).header["metrics"]
    assert m["modes_captured"] == 0 and m["js"] > 0.5


def test_kl_of_fakes_that_miss_the_data_is_capped_by_the_smoothing():
    """KL(real ‖ fake) is infinite when no fake falls where the data is; the grid's ε (1e-4 of a
    sample per cell) makes it log2(N/ε) − H(real histogram) ≤ log2(N/ε + 1) ≈ 24.6 bits for
    N = 2500, and the default run's first fakes, which miss the data, read 14-21 bits (README:
    "no overlap", not a distance)."""
    import math
    from gandojo.engine.frames import ProbeSet, build_frame
    from gandojo.gan.config import GanConfig
    from gandojo.gan.metrics import GRID_EPS
    from gandojo.gan.trainer import Trainer2D
    cap = math.log2(2500 / GRID_EPS + 1)
    g = torch.Generator().manual_seed(0)
    real = torch.rand(2500, 2, generator=g) * 0.3
    kl, js = grid_kl_js(real, real + 0.6, UNIT)
    p = grid_histogram(real, UNIT) / 2500
    entropy = float(-(p[p > 0] * p[p > 0].log2()).sum())
    assert kl == pytest.approx(math.log2(2500 / GRID_EPS) - entropy, abs=0.01) and kl <= cap
    assert js == pytest.approx(1.0, abs=1e-3)
    for seed in range(3):
        t = Trainer2D(get_dataset("gaussians"), GanConfig(), seed)
        m = build_frame(t, ProbeSet(t)).header["metrics"]
        assert 10 < m["kl"] <= cap and m["js"] > 0.5
