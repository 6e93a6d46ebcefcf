"""Discriminator rejection sampling (Azadi et al. 2019) on D's probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import torch

EPS = 1e-6


@dataclass(frozen=True)
class DrsResult:
    accepted: torch.Tensor  # bool mask over the samples
    acceptance: float
    running_max: float
    gamma: float


def drs_scores(logits: torch.Tensor, running_max: float, eps: float = EPS) -> torch.Tensor:
    """F(x) before the γ shift: D̃ − D̃*_M − log(1 − exp(D̃ − D̃*_M − ε))."""
    shifted = logits - running_max
    return shifted - torch.log1p(-torch.exp(shifted - eps))


def drs_filter(prob: torch.Tensor, running_max: float | None, percentile: float = 95.0,
               generator: torch.Generator | None = None) -> DrsResult:
    """Accept each sample with probability σ(F(x)), F = scores − γ, γ = the percentile of F.

    `prob` is D(x) in (0, 1); D̃ is its logit. The running max D̃*_M is updated with this batch
    first, so every exponent above is ≤ −ε and the logarithm stays finite.
    """
    logits = torch.logit(prob.double().clamp(1e-7, 1 - 1e-7)).view(-1)
    m = float(logits.max()) if running_max is None else max(running_max, float(logits.max()))
    f = drs_scores(logits, m)
    gamma = float(torch.quantile(f, percentile / 100.0))
    p_accept = torch.sigmoid(f - gamma)
    u = torch.rand(p_accept.shape, generator=generator, dtype=p_accept.dtype, device=p_accept.device)
    accepted = u < p_accept
    return DrsResult(accepted, float(accepted.double().mean()), m, gamma)
