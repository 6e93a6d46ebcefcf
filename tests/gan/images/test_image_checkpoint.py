"""Image checkpoints: resume equals an uninterrupted run; bad files are refused with the file named."""

import pytest
import torch

from gandojo.gan.images.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from gandojo.gan.images.config import default_image_config
from gandojo.gan.images.data import from_arrays
from gandojo.gan.images.idx import DataError
from gandojo.gan.images.trainer import ImageTrainer


def test_resume_continues_bit_for_bit(train_data, tmp_path):
    cfg = default_image_config("cgan", batch_size=16, latent_dim=8, discriminator={"dropout": 0.2})
    a = ImageTrainer(train_data, cfg, 5)
    a.step(3)
    path = save_checkpoint(a, tmp_path / "ck.safetensors")
    assert read_metadata(path)["iteration"] == "3"
    b = load_checkpoint(path, train_data)
    a.step(2)
    b.step(2)
    for p, q in zip((*a.G.parameters(), *a.D.parameters()), (*b.G.parameters(), *b.D.parameters())):
        assert torch.equal(p, q)
    assert (b.iteration, b.images_seen) == (a.iteration, a.images_seen)


def test_bad_checkpoints_are_refused(train_data, tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(DataError, match="junk.safetensors"):
        read_metadata(junk)
    with pytest.raises(DataError, match="not found"):
        read_metadata(tmp_path / "missing.safetensors")
    t = ImageTrainer(train_data, default_image_config("mlp", batch_size=16, latent_dim=8), 0)
    path = save_checkpoint(t, tmp_path / "ok.safetensors")
    other = from_arrays(train_data.images[:20], train_data.labels[:20], name="fashion-mnist")
    with pytest.raises(DataError, match="not of 'fashion-mnist'"):
        load_checkpoint(path, other)
