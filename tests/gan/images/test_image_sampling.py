"""DRS on image GANs and sample grids (the export files: tests/engine/test_image_export.py)."""

import numpy as np
import pytest
import torch

from gandojo.fileio import png_bytes
from gandojo.gan.images.config import default_image_config
from gandojo.gan.images.sampling import drs_sample, grid_array
from gandojo.gan.images.trainer import ImageTrainer

CFG = dict(batch_size=16, latent_dim=8)


@pytest.mark.parametrize("model", ["mlp", "cgan"])
def test_drs_accepts_a_fraction_and_returns_n(train_data, model):
    t = ImageTrainer(train_data, default_image_config(model, **CFG), 0)
    t.step(3)
    r = drs_sample(t, 120, percentile=80, burn_in=200, batch=100)
    assert r.images.shape == (120, 28, 28) and r.complete
    assert 0 < r.acceptance <= 1 and r.drawn >= 120
    assert (r.labels is None) == (model == "mlp")
    assert r.running_max >= float(torch.logit(t.d_prob(r.images, r.labels).double().clamp(1e-7, 1 - 1e-7)).max()) - 1e-6


def test_drs_percentile_controls_acceptance(train_data):
    t = ImageTrainer(train_data, default_image_config("mlp", **CFG), 0)
    t.step(3)
    lenient = drs_sample(t, 200, percentile=50, burn_in=200, batch=200).acceptance
    strict = drs_sample(t, 200, percentile=99, burn_in=200, batch=200).acceptance
    assert lenient > strict  # a higher γ percentile shifts F down: fewer samples kept
    with pytest.raises(ValueError):
        drs_sample(t, 10, percentile=120)


def test_grid_array_and_png():
    a = grid_array(torch.ones(10, 28, 28), cols=4, pad=1)
    assert a.shape == (3 * 29 + 1, 4 * 29 + 1) and a.dtype == np.uint8
    assert png_bytes(a, scale=2)[:8] == b"\x89PNG\r\n\x1a\n"
