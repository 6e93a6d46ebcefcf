"""Frames: what one moment of a session looks like, built from a trainer, as binary or JSON.

Binary layout (documented in README): b"GDJ1", uint32 LE header length H (multiple of 4), H bytes
of space-padded UTF-8 JSON header, then little-endian float32 sections in `header["sections"]` order.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..gan import probes
from ..gan.drs import drs_filter
from ..gan.metrics import grid_histogram, grid_kl_js, mode_metrics
from ..gan.models import sample_noise
from ..gan.trainer import Trainer2D

MAGIC = b"GDJ1"
N_METRIC = 2500  # samples behind KL/JS and the mode metrics
N_DISPLAY = 1000  # real and fake points drawn
N_GRAD_PROBE = 500  # samples behind the gradient norms


def finite(x: float | None) -> float | None:
    """x, or None when it is missing, NaN or infinite (JSON has no NaN)."""
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class Frame:
    """Scalars (JSON header) plus float32 arrays (sections)."""

    header: dict[str, Any]
    sections: dict[str, np.ndarray] = field(default_factory=dict)

    def encode(self) -> bytes:
        head = dict(self.header)
        head["sections"] = [{"name": k, "shape": list(v.shape)} for k, v in self.sections.items()]
        raw = json.dumps(head, separators=(",", ":"), allow_nan=False).encode()
        raw += b" " * (-len(raw) % 4)
        body = b"".join(np.ascontiguousarray(v, dtype="<f4").tobytes() for v in self.sections.values())
        return MAGIC + struct.pack("<I", len(raw)) + raw + body

    def to_json(self) -> dict[str, Any]:
        """The snapshot contract: header fields plus sections as nested lists (NaN → null)."""
        out = dict(self.header)
        for name, arr in self.sections.items():
            out[name] = _nan_to_none(arr.tolist()) if not np.isfinite(arr).all() else arr.tolist()
        if "heatmap" in self.sections:
            view = self.header["view"]
            out["heatmap"] = {"x": view["x"], "y": view["y"], "values": out["heatmap"]}
        return out


def _nan_to_none(v):
    if isinstance(v, list):
        return [_nan_to_none(x) for x in v]
    return finite(v)


def decode(buf: bytes) -> Frame:
    """Inverse of Frame.encode (used by tests and tools)."""
    if buf[:4] != MAGIC:
        raise ValueError("not a GAN Dojo frame (bad magic)")
    (h,) = struct.unpack("<I", buf[4:8])
    header = json.loads(buf[8:8 + h])
    offset, sections = 8 + h, {}
    for sec in header.pop("sections"):
        n = int(np.prod(sec["shape"])) if sec["shape"] else 1
        arr = np.frombuffer(buf, dtype="<f4", count=n, offset=offset).reshape(sec["shape"])
        sections[sec["name"]] = arr
        offset += 4 * n
    if offset != len(buf):
        raise ValueError(f"frame size mismatch: sections end at {offset}, message has {len(buf)}")
    return Frame(header, sections)


class ProbeSet:
    """The fixed samples a session is drawn with: real points and a fixed noise batch, seeded."""

    def __init__(self, trainer: Trainer2D) -> None:
        g = torch.Generator(trainer.device).manual_seed(trainer.seed + 2)
        self.real = trainer.dataset.sample(N_METRIC, g)
        self.z = sample_noise(N_METRIC, trainer.config.noise, g)
        self.key = (trainer.dataset.name, trainer.seed, trainer.config.noise)
        self.drs_rng = torch.Generator(trainer.device).manual_seed(trainer.seed + 3)
        self.drs_max: float | None = None  # DRS running max of D's logit
        self.real_hist = grid_histogram(self.real, trainer.dataset.view)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


def _sample_metrics(t: Trainer2D, ps: ProbeSet, fake: torch.Tensor) -> dict:
    """Metrics of a set of fakes against the probe's real samples: KL/JS and mode coverage."""
    kl, js = grid_kl_js(ps.real, fake, t.dataset.view, real_hist=ps.real_hist)
    m: dict[str, Any] = {"kl": finite(kl), "js": finite(js), "modes_captured": None,
                         "modes_total": t.dataset.modes_total, "high_quality": None,
                         "reverse_kl": None}
    if t.dataset.means is not None and len(fake):
        mm = mode_metrics(fake, t.dataset.means, t.dataset.stds)
        m.update(modes_captured=mm.modes_captured, high_quality=mm.high_quality,
                 reverse_kl=finite(mm.reverse_kl))
    return m


def _metrics(t: Trainer2D, ps: ProbeSet, fake: torch.Tensor, d_fake: torch.Tensor) -> dict:
    m = _sample_metrics(t, ps, fake)
    d_real = probes.d_prob(t, ps.real)
    d_norm, g_norm = probes.grad_norms(t, ps.real[:N_GRAD_PROBE], ps.z[:N_GRAD_PROBE])
    m.update({
        "d_real_acc": finite(float((d_real > 0.5).float().mean())),
        "d_fake_acc": finite(float((d_fake < 0.5).float().mean())),
        "d_real_mean": finite(float(d_real.mean())), "d_fake_mean": finite(float(d_fake.mean())),
        "d_grad_norm": finite(d_norm), "g_grad_norm": finite(g_norm),
    })
    return m


def _drs(t: Trainer2D, ps: ProbeSet, fake: torch.Tensor, d_fake: torch.Tensor,
         percentile: float) -> tuple[dict, np.ndarray]:
    """DRS over the probe fakes: acceptance, metrics after filtering, mask of the drawn fakes."""
    r = drs_filter(d_fake, ps.drs_max, percentile, ps.drs_rng)
    ps.drs_max = r.running_max
    info = {"on": True, "percentile": percentile, "acceptance": r.acceptance, "gamma": finite(r.gamma),
            "metrics_after": _sample_metrics(t, ps, fake[r.accepted])}
    return info, _np(r.accepted[:N_DISPLAY].float())


def build_frame(t: Trainer2D, ps: ProbeSet, extra: dict[str, Any] | None = None,
                drs_percentile: float | None = None, metrics: dict[str, Any] | None = None,
                probed: dict[str, Any] | None = None) -> Frame:
    """The full 2D frame of trainer `t` now (header + real, fake, gradients, heatmap, manifold).

    With `drs_percentile`, the header gains `drs` (acceptance, metrics after rejection) and the
    sections a `drs_mask` (1 = accepted) over the drawn fakes. `metrics` from a recent frame may be
    reused (the session refreshes them ~10 times a second while training runs flat out).
    `probed` holds this moment's drawn fakes, D on them, gradients, heatmap and manifold when a
    batching group computed them for all its members at once (engine/batcher.py).
    """
    reuse = metrics is not None and drs_percentile is None  # then only the drawn fakes are needed
    view = t.dataset.view
    if reuse and probed is not None:  # the group's fakes and arrow scale (all members at once)
        fake, d_fake, grad = probed["fake"], probed["d_fake"], probed["grad"]
        scale = probes.DisplayScale().factor_of(probed["grad_ref"], view)
    else:  # fresh metrics and DRS need all N_METRIC fakes; the heatmap and manifold still come
        fake, d_fake, grad = probes.fakes_with_gradients(t, ps.z[:N_DISPLAY] if reuse else ps.z)
        scale = probes.DisplayScale().factor(grad[:N_DISPLAY], view)
    (x0, x1), (y0, y1) = view
    header: dict[str, Any] = {
        "type": "frame", "kind": "2d", "dataset": t.dataset.name, "iteration": t.iteration,
        "losses": {k: finite(v) for k, v in t.losses().items()},
        "metrics": metrics if metrics is not None else _metrics(t, ps, fake, d_fake),
        "view": {"x": [x0, x1], "y": [y0, y1]}, "gradient_scale": finite(scale) or 0.0,
        "stage": None, "drs": None,
    }
    header.update(extra or {})
    sections = {
        "real": _np(ps.real[:N_DISPLAY]),
        "fake": _np(fake[:N_DISPLAY]),
        "gradients": _np(grad[:N_DISPLAY] * scale),
        "heatmap": _np(probed["heatmap"] if probed else probes.heatmap(t, t.config.heatmap_resolution)),
    }
    man = probed["manifold"] if probed else probes.manifold(t)
    if man is not None:
        sections["manifold"] = _np(man)
    if drs_percentile is not None:
        header["drs"], sections["drs_mask"] = _drs(t, ps, fake, d_fake, drs_percentile)
    return Frame(header, sections)
