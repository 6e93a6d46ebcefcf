"""Per-element float32 error bounds of a 2D trainer's frame probes (tests only; tests/numerics.py).

The batched probes (engine/batcher.py: bmm, matmul) and a session's own (gan/probes.py: addmm)
evaluate the same per-sample expressions in different orders. No probe sums over a batch, so one
evaluation has at most OPS = 2·Σ_layers (fan_in + 1) + 16 roundings on a path (G forward, D
forward and backward, scaling and loss), each relative to the absolute-value evaluation
(tests/f32_training.py's absolute networks, with the hidden units' slope masks):

* fakes and manifold G(z): OPS·U32·G_abs(|z|);
* heatmap prob(D(x)) (prob' ≤ 1: sigmoid ¼, LSGAN's clamp 1): OPS·U32·D_abs(x) + 2·U32;
* arrows −N·∂L_G/∂x = −ℓ'(D(x))·∂D/∂x per fake: OPS·U32·(|ℓ'| + D_abs)·J_abs (ℓ'' ≤ 1 covers the
  error of ℓ' itself), plus ℓ''·(J_abs·E_fake)·J_abs for the fake's own error, plus, where a fake
  lies within rounding of a ReLU kink, the whole contribution of that unit (the paths may take
  either side);
* the arrows' display scale, fraction·width / q95(‖arrow‖): the 95th percentile moves by at most
  the largest error of a norm, so its relative error is δ / (q95 − δ) + 4·U32.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from f32_training import D64, abs_pair, jacobian_rows
from numerics import U32


def probe_ops(t) -> int:
    fan = sum(m.in_features + 1 for net in (t.G, t.D) for m in net if isinstance(m, nn.Linear))
    return 2 * fan + 16


def _weights(net: nn.Module) -> list[torch.Tensor]:
    return [p.detach().to(D64).abs() for p in net.parameters()]


def g_bound(t, z: torch.Tensor, ops: int) -> torch.Tensor:
    """Error bound of G(z) [N, 2]."""
    w = _weights(t.G)
    return ops * U32 * abs_pair(t.G, (w, w), (z.abs(), z.abs()), z, ops * U32)[0]


def heatmap_bound(t, x: torch.Tensor, ops: int) -> torch.Tensor:
    """Error bound of D's probability at points x [M, 2] -> [M]."""
    w = _weights(t.D)
    out = abs_pair(t.D, (w, w), (x.abs(), x.abs()), x, ops * U32)[0]
    return (ops * U32 * out + 2 * U32).view(-1)


def arrow_bounds(t, z: torch.Tensor, ops: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(error bound of G(z) [N, 2], error bound of −N·∂L_G/∂x at the fakes [N, 2])."""
    e_fake = g_bound(t, z, ops)
    with torch.no_grad():
        fake = t.G(z).to(D64)
    wg, wd, unsure = _weights(t.G), _weights(t.D), []
    fake_abs = abs_pair(t.G, (wg, wg), (z.abs(), z.abs()), z, ops * U32)[0]
    out_abs, _, masks = abs_pair(t.D, (wd, wd), (fake_abs, fake_abs + e_fake), fake,
                                 ops * U32, unsure)
    x = fake.detach().requires_grad_(True)
    out = copy.deepcopy(t.D).to(D64)(x)  # ℓ'(D(x)) from a float64 copy (the value, not its error)
    (lprime,) = torch.autograd.grad(t.loss.g_loss(out) * x.shape[0], out)
    jac = jacobian_rows(t.D, wd, masks)[:, 0, :]  # [N, 2]
    jump = torch.zeros_like(jac)
    for layer, u in enumerate(unsure):  # paths through units that may sit either side of a kink
        only = [u if i == layer else m for i, m in enumerate(masks)]
        jump = jump + jacobian_rows(t.D, wd, only)[:, 0, :]
    lp = lprime.detach().abs()  # [N, 1]
    e_grad = ops * U32 * (lp + out_abs) * jac + (jac * e_fake).sum(1, keepdim=True) * jac
    return e_fake, e_grad + lp * jump


def scale_rel_bound(grad: torch.Tensor, e_grad: torch.Tensor) -> float:
    """Relative error bound of the arrows' display scale over rows `grad` [N, 2]."""
    ref = float(torch.quantile(grad.to(D64).norm(dim=-1), 0.95))
    delta = float(e_grad.norm(dim=-1).max()) + 4 * U32 * ref
    return delta / max(ref - delta, 1e-300) + 4 * U32


def frame_excess(t, ps, own, other) -> float:
    """Worst |other − own| / (2 · bound) over a 2D frame's probe sections and arrow scale, own
    built by gan/probes.py for trainer t and probe set ps (engine/frames.py's N_DISPLAY rows)."""
    from gandojo.engine.frames import N_DISPLAY
    from gandojo.gan import probes
    from gandojo.gan.models import noise_grid
    from numerics import f32_excess

    ops, z = probe_ops(t), ps.z[:N_DISPLAY]
    e_fake, e_grad = arrow_bounds(t, z, ops)
    rel = scale_rel_bound(probes.fakes_with_gradients(t, z)[2], e_grad)
    scale = own.header["gradient_scale"]
    sec = {k: torch.from_numpy(v.copy()) for k, v in own.sections.items()}
    arrows = sec["gradients"].to(D64).abs()
    bounds = {"fake": e_fake, "gradients": scale * e_grad + (rel + U32) * arrows,
              "heatmap": heatmap_bound(t, probes.plane_grid(t.dataset.view, t.config.heatmap_resolution,
                                                            t.device), ops).view(sec["heatmap"].shape)}
    grid = noise_grid(t.config.noise, probes.MANIFOLD_CELLS, t.device)
    if grid is not None:
        bounds["manifold"] = g_bound(t, grid.reshape(-1, grid.shape[-1]), ops).view(sec["manifold"].shape)
    assert set(sec) == set(other.sections) == {"real", *bounds}
    assert torch.equal(sec["real"], torch.from_numpy(other.sections["real"].copy()))  # one array
    worst = abs(other.header["gradient_scale"] - scale) / (2 * rel * scale) if scale else 0.0
    for name, bound in bounds.items():
        worst = max(worst, f32_excess(torch.from_numpy(other.sections[name].copy()), sec[name], bound))
    return worst
