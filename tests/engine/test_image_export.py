"""The 10k export files of an image GAN: a PNG grid and an .npz, written atomically."""

import numpy as np
import pytest
from image_fixtures import _isolated_data_dir, train_data  # noqa: F401

from gandojo.engine.image_export import export_samples
from gandojo.gan.images.config import default_image_config
from gandojo.gan.images.trainer import ImageTrainer

CFG = dict(batch_size=16, latent_dim=8)


def test_export_writes_png_and_npz(train_data, tmp_path):
    t = ImageTrainer(train_data, default_image_config("cgan", **CFG), 0)
    res = export_samples(t, tmp_path / "out", n=250, stem="cgan-250")
    assert res.png.read_bytes()[:4] == b"\x89PNG" and res.n == 250
    with np.load(res.npz) as z:  # allow_pickle stays False
        assert z["images"].shape == (250, 28, 28) and z["images"].dtype == np.uint8
        assert z["labels"].shape == (250,) and str(z["model"]) == "cgan"
    res = export_samples(t, tmp_path / "out", n=50, stem="drs", drs_percentile=90)
    assert 0 < res.drs_acceptance <= 1
    with pytest.raises(ValueError):
        export_samples(t, tmp_path, n=5, stem="../evil")
