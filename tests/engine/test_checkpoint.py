"""Checkpoints: exact resume, drawn datasets, atomic writes, malformed files refused clearly."""

import json

import pytest
import torch
from safetensors.torch import save as st_save

from gandojo.engine.checkpoint import CheckpointError, from_bytes, to_bytes
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
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
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
    with pytest.raises(CheckpointError, match="header describes"):  # truncated
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


# ---------------------------------------------------------------- crafted checkpoints
def rewrite(data: bytes, edit) -> bytes:
    """`data` (a real checkpoint) with its JSON header changed by `edit(header)`; tensor bytes
    unchanged unless `edit` returns new ones."""
    n = int.from_bytes(data[:8], "little")
    header, body = json.loads(data[8:8 + n]), data[8 + n:]
    body = edit(header) or body
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + body


def real_checkpoint(dataset: str = "gaussians") -> bytes:
    """A trained 2D checkpoint whose D has a momentum buffer (SGD, momentum 0.5)."""
    cfg = merged_config(GanConfig(), {"discriminator": {"momentum": 0.5}, "batch_size": 16})
    ds = points_dataset(torch.tensor([[0.2, 0.3], [0.7, 0.6]]), "csv") if dataset == "csv" \
        else get_dataset(dataset)
    t = Trainer2D(ds, cfg, seed=4)
    for _ in range(3):
        t.iterate()
    return to_bytes(t)


def set_entry(name: str, **fields):
    def edit(h):
        h[name].update(fields)
    return edit


def set_meta(**fields):
    def edit(h):
        h["__metadata__"].update(fields)
    return edit


def add_tensor(h):
    end = max(v["data_offsets"][1] for k, v in h.items() if k != "__metadata__")
    h["evil.payload"] = {"dtype": "F32", "shape": [0], "data_offsets": [end, end]}


CRAFTED = [  # (what, dataset, header edit, the entry the error must name)
    ("momentum buffer reshaped [8,2] -> [16]", "gaussians",
     set_entry("opt_d.0.momentum_buffer", shape=[16]), "opt_d.0.momentum_buffer"),
    ("weight reshaped", "gaussians", set_entry("G.0.weight", shape=[2, 8]), "G.0.weight"),
    ("float weights read as int32", "gaussians", set_entry("D.0.weight", dtype="I32"),
     "D.0.weight"),
    ("rng state shortened", "gaussians", set_entry("rng.state", shape=[2528], dtype="I16"),
     "rng.state"),
    ("unknown tensor", "gaussians", add_tensor, "evil.payload"),
    ("view with 1e309", "csv", set_meta(view="[[0,1],[0,1e309]]"), "metadata.view"),
    ("view reversed", "csv", set_meta(view="[[1,0],[0,1]]"), "metadata.view"),
    ("negative iteration", "gaussians", set_meta(iteration="-1"), "metadata.iteration"),
    ("negative seed", "gaussians", set_meta(seed="-5"), "metadata.seed"),
    ("seed not a number", "gaussians", set_meta(seed="NaN"), "metadata.seed"),
    ("optimizer state of a parameter that does not exist", "gaussians",
     set_meta(optimizers=json.dumps({"opt_g": {}, "opt_d": {"9": {"momentum_buffer": {
         "tensor": "opt_d.0.momentum_buffer"}}}})), "opt_d.9.momentum_buffer"),
    ("optimizer state naming another tensor", "gaussians",
     set_meta(optimizers=json.dumps({"opt_g": {}, "opt_d": {"1": {"momentum_buffer": {
         "tensor": "opt_d.0.momentum_buffer"}}}})), "metadata.optimizers.opt_d.1.momentum_buffer"),
    ("optimizer state that is not a number", "gaussians",
     set_meta(optimizers=json.dumps({"opt_g": {}, "opt_d": {"1": {"momentum_buffer": {
         "value": 1e999}}}})), "metadata.optimizers.opt_d.1.momentum_buffer"),
]


@pytest.mark.parametrize("what,dataset,edit,entry", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_checkpoints_are_refused_naming_the_entry(what, dataset, edit, entry):
    good = real_checkpoint(dataset)
    from_bytes(good)  # the real one loads
    with pytest.raises(CheckpointError) as err:
        from_bytes(rewrite(good, edit))
    assert err.value.entry == entry, str(err.value)
    assert entry in str(err.value)


def test_point_sets_must_be_finite_and_not_empty():
    good = real_checkpoint("csv")
    n = int.from_bytes(good[:8], "little")
    header = json.loads(good[8:8 + n])
    start, end = header["dataset.points"]["data_offsets"]
    body = bytearray(good[8 + n:])
    nan = body[:start] + torch.tensor([[float("nan"), 0.5], [0.7, 0.6]]).numpy().tobytes() + body[end:]
    with pytest.raises(CheckpointError) as err:
        from_bytes(rewrite(good, lambda h: bytes(nan)))
    assert err.value.entry == "dataset.points" and "finite" in str(err.value)

    def empty(h):  # 0 points: the points' bytes go, later tensors move up
        for v in h.values():
            if isinstance(v, dict) and v.get("data_offsets", [0])[0] >= end:
                v["data_offsets"] = [o - (end - start) for o in v["data_offsets"]]
        h["dataset.points"].update(shape=[0, 2], data_offsets=[start, start])
        return bytes(body[:start] + body[end:])
    with pytest.raises(CheckpointError) as err:
        from_bytes(rewrite(good, empty))
    assert err.value.entry == "dataset.points" and "1 to" in str(err.value)
