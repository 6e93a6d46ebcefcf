"""Datasets: shapes, seeding, mode positions and spreads as in the design notes."""

import math

import pytest
import torch

from gandojo.gan.datasets import DATASETS, get_dataset
from numerics import f32_bound


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", list(DATASETS))
def test_shape_dtype_and_seeding(name):
    d = get_dataset(name)
    a, b = d.sample(500, gen(1)), d.sample(500, gen(1))
    assert a.shape == (500, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.equal(a, d.sample(500, gen(2)))
    # fresh samples each call from the same generator
    g = gen(3)
    assert not torch.equal(d.sample(100, g), d.sample(100, g))


def test_ring8_has_eight_distinct_modes_on_the_unit_circle():
    d = get_dataset("ring8")
    angles = torch.atan2(d.means[:, 1], d.means[:, 0]) % (2 * math.pi)
    # float32 cos/sin (≤ 1 ulp each), squares, sum, √; atan2 and the reference k·2π/8: a few
    # roundings at the size of the numbers (1, resp. 2π)
    assert torch.allclose(d.means.norm(dim=1), torch.ones(8), rtol=0, atol=f32_bound(1.0, ops=8))
    assert torch.allclose(angles.sort().values, torch.arange(8) * (2 * math.pi / 8), rtol=0,
                          atol=f32_bound(2 * math.pi, ops=8))
    x = d.sample(8000, gen())
    nearest = torch.cdist(x, d.means).argmin(1)
    counts = torch.bincount(nearest, minlength=8)
    assert counts.min() > 800  # every mode is used, roughly equally
    assert (x - d.means[nearest]).std() == pytest.approx(0.01, rel=0.1)


def test_grid25_means_and_spread():
    d = get_dataset("grid25")
    assert sorted(set(d.means[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    assert d.means.shape == (25, 2)
    x = d.sample(20000, gen())
    nearest = torch.cdist(x, d.means).argmin(1)
    assert (x - d.means[nearest]).std() == pytest.approx(0.05, rel=0.1)


def test_gaussians_mixture_components():
    d = get_dataset("gaussians")
    x = d.sample(20000, gen())
    left = x[:, 0] < 0.5
    assert left.float().mean() == pytest.approx(0.5, abs=0.03)
    a, b = x[left & (x[:, 0] < 0.45)], x[~left & (x[:, 0] > 0.55)]
    assert a.mean(0).tolist() == pytest.approx([0.3, 0.7], abs=0.02)
    assert b.mean(0).tolist() == pytest.approx([0.7, 0.4], abs=0.02)
    assert b[:, 1].std() == pytest.approx(0.2, rel=0.1)


def test_disjoint_three_regions():
    d = get_dataset("disjoint")
    x = d.sample(9000, gen())
    nearest = torch.cdist(x, d.means).argmin(1)
    assert torch.bincount(nearest).tolist() == pytest.approx([3000] * 3, rel=0.1)
    assert torch.allclose(d.means, torch.tensor([[0.35, 0.75], [0.75, 0.6], [0.45, 0.35]]))


def test_line_and_ring_geometry():
    line = get_dataset("line").sample(5000, gen())
    # points lie on (0.8-0.75u, 0.6+0.3u): y - 0.6 = -0.4 (x - 0.8)
    resid = line[:, 1] - 0.6 + 0.4 * (line[:, 0] - 0.8)
    assert resid.abs().mean() < 0.02
    ring = get_dataset("ring").sample(5000, gen())
    r = (((ring[:, 0] - 0.5) / 0.3) ** 2 + ((ring[:, 1] - 0.45) / 0.25) ** 2).sqrt()
    assert r.mean() == pytest.approx(1.0, abs=0.02)


def test_unknown_dataset_lists_known_names():
    with pytest.raises(KeyError, match="ring8"):
        get_dataset("nope")
