"""Losses: values on known logits, saturation behaviour, the gradient penalty."""

import math

import pytest
import torch

from gandojo.gan.losses import LOSSES, gradient_penalty


def t(*v):
    return torch.tensor(v, dtype=torch.float32)


def test_bce_losses_on_known_logits():
    zero = t(0.0, 0.0)
    for name in ("minimax", "nonsaturating"):
        assert float(LOSSES[name].d_loss(zero, zero)) == pytest.approx(2 * math.log(2))
    assert float(LOSSES["nonsaturating"].g_loss(zero)) == pytest.approx(math.log(2))
    assert float(LOSSES["minimax"].g_loss(zero)) == pytest.approx(-math.log(2))


def test_minimax_saturates_where_nonsaturating_does_not():
    f = t(-8.0).requires_grad_(True)  # D is sure the fake is fake
    (g_mm,) = torch.autograd.grad(LOSSES["minimax"].g_loss(f), f)
    f2 = t(-8.0).requires_grad_(True)
    (g_ns,) = torch.autograd.grad(LOSSES["nonsaturating"].g_loss(f2), f2)
    assert abs(float(g_mm)) < 1e-3 < abs(float(g_ns))


def test_lsgan_hinge_wgan_values():
    r, f = t(1.0), t(0.0)
    assert float(LOSSES["lsgan"].d_loss(r, f)) == 0.0
    assert float(LOSSES["lsgan"].g_loss(t(1.0))) == 0.0
    assert float(LOSSES["hinge"].d_loss(t(2.0), t(-2.0))) == 0.0
    assert float(LOSSES["hinge"].d_loss(t(0.0), t(0.0))) == 2.0
    assert float(LOSSES["wgan-gp"].d_loss(t(3.0), t(1.0))) == -2.0
    assert float(LOSSES["wgan-gp"].g_loss(t(1.5))) == -1.5


def test_probabilities_are_in_unit_interval():
    x = torch.linspace(-5, 5, 11)
    for loss in LOSSES.values():
        p = loss.prob(x)
        assert float(p.min()) >= 0 and float(p.max()) <= 1


def test_gradient_penalty_zero_for_unit_slope_critic():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g)
    unit = lambda x: x @ torch.tensor([[0.6], [0.8]])  # |grad| = 1 everywhere
    assert float(gradient_penalty(unit, real, fake, g)) == pytest.approx(0.0, abs=1e-10)
    steep = lambda x: 3 * x @ torch.tensor([[1.0], [0.0]])  # |grad| = 3
    assert float(gradient_penalty(steep, real, fake, g)) == pytest.approx(4.0)
