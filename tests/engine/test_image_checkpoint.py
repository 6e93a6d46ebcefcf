"""Image checkpoints: resume equals an uninterrupted run; bad files are refused with the file named."""

import pytest
import torch
from image_fixtures import _isolated_data_dir, train_data  # noqa: F401

from gandojo.datasets.idx import DataError
from gandojo.datasets.images import from_arrays
from gandojo.engine.image_checkpoint import load_checkpoint, read_metadata, save_checkpoint
from gandojo.gan.images.config import default_image_config
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
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
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


def _rewrite(path, edit):
    """The checkpoint at `path` with its JSON header changed by `edit` (tensor bytes unchanged)."""
    import json

    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    edit(header)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + data[8 + n:])


def _reshape_first_adam_state(h):
    name = sorted(k for k in h if k.startswith("opt_d.0.exp_avg") and k.endswith("exp_avg"))[0]
    shape = h[name]["shape"]
    h[name]["shape"] = [shape[0] * shape[1]] if len(shape) == 2 else [1, *shape]


def _first_g_weight_as_int32(h):
    next(v for k, v in sorted(h.items()) if k.startswith("G.") and v["dtype"] == "F32")["dtype"] = "I32"


@pytest.mark.parametrize("edit,entry", [
    (_reshape_first_adam_state, "opt_d.0.exp_avg"),
    (_first_g_weight_as_int32, None),
    (lambda h: h.update(extra={"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}), "extra"),
    (lambda h: h["__metadata__"].update(iteration="-3"), "metadata.iteration"),
    (lambda h: h["__metadata__"].update(seed="x"), "metadata.seed"),
], ids=["adam state reshaped", "weight read as int32", "unknown tensor", "negative iteration",
        "seed not a number"])
def test_crafted_image_checkpoints_name_the_entry(train_data, tmp_path, edit, entry):
    from gandojo.gan.tensor_check import EntryError

    t = ImageTrainer(train_data, default_image_config("mlp", batch_size=16, latent_dim=8), 0)
    t.step(1)
    path = save_checkpoint(t, tmp_path / "ck.safetensors")
    _rewrite(path, edit)
    with pytest.raises(EntryError) as err:
        load_checkpoint(path, train_data)
    if entry is not None:
        assert err.value.entry == entry, str(err.value)
    else:
        assert err.value.entry.startswith("G.") and "I32" in str(err.value)
