"""Float32 error bounds for the suite's comparisons of two code paths that compute the same numbers.

Two correct float32 evaluations of one real quantity (batched vs solo, bmm vs addmm, a vmap vs a
loop, a batch of 5 vs a batch of 64) differ only by rounding, and how they round depends on the
order of operations, which depends on the CPU's vector unit (AVX2 and AVX-512 kernels split sums
differently) and on the kernel a shape selects. So their tolerance comes from float32 error
analysis, never from what one CPU printed (issue 9):

* each rounding errs by at most U32 = EPS32 / 2 relative to its result (EPS32 = 2**-23);
* an expression evaluated with at most `ops` roundings along any path from its inputs errs by at
  most about ops · U32 times its *absolute-value evaluation* (the same expression with every term
  replaced by its magnitude, e.g. Σ|a_i·b_i| for a dot product): Higham, Accuracy and Stability of
  Numerical Algorithms (2nd ed.), §3.1–3.3, first order in U32. A sum of n terms has up to n
  roundings on one path whatever the kernel (gemm accumulates a dot product sequentially), so
  `ops` counts a reduction of n terms as n;
* errors of successive steps that feed each other add up (first order), so bounds grow with the
  number of steps N: ops · U32 · N · scale for a quantity whose magnitude stays near `scale`;
* two paths that are each within `bound` of the exact value differ by at most 2 · bound.

`f32_bound` gives ops · U32 · steps · scale; `assert_f32_close` checks |actual − expected| ≤
2 · that (elementwise, `scale` may be a tensor of per-element magnitudes) and reports the worst
element as a fraction of its bound. Tests that compare genuinely identical computations (same code,
same shapes, same thread, same process) stay exact and say why.
"""

from __future__ import annotations

import torch

EPS32 = 2.0 ** -23  # float32 machine epsilon (spacing of floats in [1, 2))
U32 = EPS32 / 2  # unit roundoff: the largest relative error of one rounding to nearest


def f32_bound(scale, ops: int, steps: int = 1):
    """ops · U32 · steps · scale: the first-order float32 error of a quantity of magnitude
    `scale` (a number or a tensor) after `steps` steps of at most `ops` roundings each."""
    return ops * U32 * steps * scale


def f32_excess(actual: torch.Tensor, expected: torch.Tensor, bound) -> float:
    """max |actual − expected| / (2 · bound) over the elements (≤ 1: within float32 rounding of
    two paths each within `bound` of the exact value). Elements where both are bit-equal count 0."""
    a, e = actual.detach().double(), expected.detach().double()
    diff = (a - e).abs()
    allowed = 2 * torch.as_tensor(bound, dtype=torch.float64).expand_as(diff)
    ratio = torch.where(diff == 0, torch.zeros_like(diff), diff / allowed)
    return float(ratio.max()) if ratio.numel() else 0.0


def assert_f32_close(actual: torch.Tensor, expected: torch.Tensor, bound, what: str = "") -> float:
    """Assert |actual − expected| ≤ 2 · bound elementwise; returns the worst fraction of it."""
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    worst = f32_excess(actual, expected, bound)
    assert worst <= 1.0, f"{what}: differs by {worst:.3g}× its float32 bound"
    return worst


def reduction_ops(n: int) -> int:
    """Roundings on the longest path of a sum of n terms (sequential in the worst case)."""
    return max(int(n) - 1, 0) + 1
