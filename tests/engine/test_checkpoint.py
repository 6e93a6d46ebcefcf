"""Checkpoints: exact resume, drawn datasets, atomic writes, malformed files refused clearly."""

import json

import pytest
import torch
from safetensors.torch import save as st_save

from gandojo.engine.checkpoint import CheckpointError, from_bytes, to_bytes, write_atomic
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset, points_dataset
from gandojo.gan.trainer import Trainer2D


def flat(m):
    return torch.cat([p.detach().flatten() for p in m.parameters()])


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_resume_gives_the_identical_next_steps(opt):
    cfg = merged_config(GanConfig(), {"generator": {"optimizer": opt, "momentum": 0.5 if opt != "adam" else 0.0},
                                      "discriminator": {"optimizer": opt}})
    a = Trainer2D(get_dataset("ring8"), cfg, seed=3)
    for _ in range(20):
        a.iterate()
    b = from_bytes(to_bytes(a))
    assert b.iteration == 20 and b.losses() == a.losses()
    for _ in range(10):
        a.iterate()
        b.iterate()
        assert a.losses() == b.losses()
    assert torch.equal(flat(a.G), flat(b.G)) and torch.equal(flat(a.D), flat(b.D))


def test_drawn_dataset_travels_with_the_checkpoint():
    pts = torch.tensor([[0.2, 0.2], [0.8, 0.3], [0.5, 0.9]])
    a = Trainer2D(points_dataset(pts, "drawn"), GanConfig(), seed=1)
    a.iterate()
    b = from_bytes(to_bytes(a))
    assert b.dataset.name == "drawn" and torch.equal(b.dataset.points, pts)
    a.iterate()
    b.iterate()
    assert a.losses() == b.losses()


def test_malformed_files_get_clear_errors():
    good = to_bytes(Trainer2D(get_dataset("gaussians"), GanConfig(), 0))
    with pytest.raises(CheckpointError, match="shorter"):
        from_bytes(b"abc")
    with pytest.raises(CheckpointError, match="header"):
        from_bytes(b"\xff" * 64)
    with pytest.raises(CheckpointError, match="not a GAN Dojo checkpoint"):
        from_bytes(st_save({"x": torch.zeros(2)}))
    with pytest.raises(CheckpointError, match="malformed"):
        from_bytes(good[:-100])
    # a well-formed file whose config breaks a bound
    hdr_len = int.from_bytes(good[:8], "little")
    header = json.loads(good[8:8 + hdr_len])
    header["__metadata__"]["config"] = header["__metadata__"]["config"].replace('"k_d":2', '"k_d":500')
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with pytest.raises(CheckpointError, match="k_d"):
        from_bytes(len(raw).to_bytes(8, "little") + raw + good[8 + hdr_len:])


def test_pickle_payloads_are_never_unpickled(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    with pytest.raises(CheckpointError):
        from_bytes(pickle.dumps(Boom()))
    assert not (tmp_path / "pwned").exists()


def test_write_atomic_replaces_whole_files(tmp_path):
    p = tmp_path / "a" / "ck.safetensors"
    write_atomic(p, b"one")
    write_atomic(p, b"two")
    assert p.read_bytes() == b"two"
    assert [f.name for f in p.parent.iterdir()] == ["ck.safetensors"]
