"""DRS: the acceptance formula on known logits, the running max, the γ percentile."""

import math

import pytest
import torch

from gandojo.gan.drs import EPS, drs_filter, drs_scores


def test_scores_formula_on_known_logits():
    logits = torch.tensor([0.0, -1.0, 2.0], dtype=torch.float64)
    m = 2.0
    f = drs_scores(logits, m)
    for x, fx in zip(logits.tolist(), f.tolist()):
        expected = x - m - math.log(1 - math.exp(x - m - EPS))
        assert fx == pytest.approx(expected, rel=1e-9)


def test_acceptance_probability_is_sigmoid_of_f_minus_gamma():
    torch.manual_seed(0)
    prob = torch.sigmoid(torch.randn(20000))
    r = drs_filter(prob, None, percentile=95, generator=torch.Generator().manual_seed(1))
    logits = torch.logit(prob.double().clamp(1e-7, 1 - 1e-7))
    f = drs_scores(logits, r.running_max)
    assert r.gamma == pytest.approx(float(torch.quantile(f, 0.95)))
    expected = float(torch.sigmoid(f - r.gamma).mean())
    assert r.acceptance == pytest.approx(expected, abs=0.01)
    assert r.running_max == pytest.approx(float(logits.max()))


def test_more_realistic_samples_are_accepted_more_often():
    prob = torch.cat([torch.full((5000,), 0.9), torch.full((5000,), 0.1)])
    r = drs_filter(prob, None, 50, torch.Generator().manual_seed(0))
    assert r.accepted[:5000].float().mean() > 3 * r.accepted[5000:].float().mean()


def test_running_max_only_grows():
    prob = torch.full((10,), 0.5)
    r = drs_filter(prob, 5.0, 95, torch.Generator().manual_seed(0))
    assert r.running_max == 5.0
    assert torch.isfinite(torch.tensor(r.gamma))
