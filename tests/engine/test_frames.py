"""Frames: section shapes, binary round trip, JSON snapshot contract, PNG rendering."""

import io
import json
import struct

import numpy as np
import pytest
from PIL import Image

from gandojo.engine.frames import MAGIC, N_DISPLAY, Frame, ProbeSet, build_frame, decode
from gandojo.engine.render import render_png
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D
from f32_probes import heatmap_bound, probe_ops


def make(dataset="ring8", **patch):
    t = Trainer2D(get_dataset(dataset), merged_config(GanConfig(), patch), seed=5)
    t.iterate()
    return t, build_frame(t, ProbeSet(t))


def test_sections_and_shapes():
    t, f = make(heatmap_resolution=32)
    s = f.sections
    assert s["real"].shape == (N_DISPLAY, 2) and s["fake"].shape == (N_DISPLAY, 2)
    assert s["gradients"].shape == s["fake"].shape
    assert s["heatmap"].shape == (32, 32)
    assert 0 <= s["heatmap"].min() and s["heatmap"].max() <= 1
    assert s["manifold"].shape == (21, 21, 2)
    m = f.header["metrics"]
    assert m["modes_total"] == 8 and 0 <= m["modes_captured"] <= 8
    assert 0 <= m["js"] <= 1 and m["kl"] >= 0
    assert f.header["iteration"] == 1 and set(f.header["losses"]) == {"d", "g"}


def test_manifold_only_for_low_dimensional_noise():
    assert make(noise={"dim": 1})[1].sections["manifold"].shape == (1, 21, 2)
    assert "manifold" not in make(noise={"dim": 3})[1].sections


def test_no_mode_metrics_for_continuous_datasets():
    m = make("ring")[1].header["metrics"]
    assert m["modes_total"] is None and m["modes_captured"] is None


def test_heatmap_rows_run_along_y():
    t, f = make("gaussians", heatmap_resolution=16)
    import torch
    with torch.no_grad():
        p = t.loss.prob(t.D(torch.tensor([[0.5 / 16, 15.5 / 16]]))).item()  # column 0, top row
    point = torch.tensor([[0.5 / 16, 15.5 / 16]])  # one point vs the 256-point grid: float32 bound
    assert abs(f.sections["heatmap"][15, 0] - p) <= 2 * float(heatmap_bound(t, point, probe_ops(t)))


def test_binary_round_trip_and_layout():
    _, f = make()
    buf = f.encode()
    assert buf[:4] == MAGIC
    (h,) = struct.unpack("<I", buf[4:8])
    assert h % 4 == 0
    header = json.loads(buf[8:8 + h])
    assert [s["name"] for s in header["sections"]] == list(f.sections)
    g = decode(buf)
    for name, arr in f.sections.items():
        np.testing.assert_array_equal(g.sections[name], arr)
    with pytest.raises(ValueError):
        decode(b"XXXX" + buf[4:])
    with pytest.raises(ValueError):
        decode(buf + b"\0\0\0\0")


def test_json_snapshot_contract_and_nan():
    _, f = make()
    js = f.to_json()
    for key in ("iteration", "losses", "metrics", "real", "fake", "gradients", "heatmap", "manifold"):
        assert key in js
    assert set(js["heatmap"]) == {"x", "y", "values"} and len(js["heatmap"]["values"]) == 64
    f.sections["fake"][0, 0] = np.nan
    js = f.to_json()
    assert js["fake"][0][0] is None
    json.dumps(js, allow_nan=False)


def test_png_render():
    _, f = make()
    img = Image.open(io.BytesIO(render_png(f, size=256)))
    assert img.size == (256, 256) and img.mode == "RGB"
    assert len(img.getcolors(maxcolors=1 << 20)) > 10  # heatmap, points and arrows: not blank


def test_frame_without_optional_sections_encodes():
    f = Frame({"type": "frame"}, {"x": np.zeros((0, 2), np.float32)})
    assert decode(f.encode()).sections["x"].shape == (0, 2)
