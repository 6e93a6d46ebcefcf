"""Checkpoints: a session's full training state as one safetensors file (tensors + JSON metadata).

The file holds G and D weights, both optimizers' state, the training RNG state and, for drawn or
uploaded datasets, the points; the metadata holds config, dataset, seed and iteration. Loading
parses the safetensors header as JSON and the tensors as raw little-endian arrays: nothing in the
file is ever executed or unpickled. Image sessions' checkpoints (gan/images/checkpoint.py) share
the header check (`metadata` tells the kinds apart) and load through `image_from_bytes`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from ..gan.config import GanConfig
from ..gan.datasets import CUSTOM, get_dataset, points_dataset
from ..gan.images.checkpoint import FORMAT as IMAGE_FORMAT
from ..gan.images.checkpoint import load_checkpoint_bytes
from ..gan.images.data import load_split
from ..gan.images.idx import DataError
from ..gan.images.trainer import ImageTrainer
from ..gan.trainer import Trainer2D

FORMAT = "gandojo-checkpoint-1"
MAX_BYTES = 32 * 1024 * 1024


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded; the message says why."""


def _opt_state(prefix: str, opt: torch.optim.Optimizer, tensors: dict) -> dict[str, Any]:
    """Tensor entries go to `tensors`; the rest (and the layout) is returned for the metadata."""
    meta: dict[str, Any] = {}
    for idx, state in opt.state_dict()["state"].items():
        entry = {}
        for key, value in state.items():
            if torch.is_tensor(value):
                name = f"{prefix}.{idx}.{key}"
                tensors[name] = value.detach().cpu().contiguous()
                entry[key] = {"tensor": name}
            else:
                entry[key] = {"value": value}
        meta[str(idx)] = entry
    return meta


def to_bytes(t: Trainer2D) -> bytes:
    """Serialize trainer `t` (weights, optimizer state, RNG, config, iteration, seed)."""
    tensors: dict[str, torch.Tensor] = {}
    for net, module in (("G", t.G), ("D", t.D)):
        for name, value in module.state_dict().items():
            tensors[f"{net}.{name}"] = value.detach().cpu().contiguous()
    opt_meta = {"opt_g": _opt_state("opt_g", t.opt_g, tensors),
                "opt_d": _opt_state("opt_d", t.opt_d, tensors)}
    tensors["rng.state"] = t.rng.get_state().cpu()
    if t.dataset.points is not None:
        tensors["dataset.points"] = t.dataset.points.cpu().contiguous()
    for k in ("_loss_d", "_loss_g"):
        if getattr(t, k) is not None:
            tensors[f"losses.{k}"] = getattr(t, k).detach().cpu().reshape(1)
    meta = {"format": FORMAT, "kind": "2d", "dataset": t.dataset.name, "seed": str(t.seed),
            "iteration": str(t.iteration), "config": t.config.model_dump_json(),
            "optimizers": json.dumps(opt_meta)}
    if t.dataset.points is not None:
        meta["view"] = json.dumps(t.dataset.view)
    return st_save(tensors, metadata=meta)


def _header_metadata(data: bytes, formats: tuple[str, ...] = (FORMAT,)) -> dict[str, str]:
    """The safetensors header's metadata (parsed as JSON, nothing unpickled) of one of `formats`."""
    if len(data) < 8:
        raise CheckpointError("not a safetensors file: shorter than its 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n > min(len(data) - 8, 1 << 20):
        raise CheckpointError("not a safetensors file: header length out of range")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"not a safetensors file: header is not JSON ({exc})") from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") not in formats:
        raise CheckpointError("not a GAN Dojo checkpoint: metadata.format must be "
                              + " or ".join(map(repr, formats)))
    return meta


def metadata(data: bytes) -> dict[str, str]:
    """The metadata of a checkpoint of any kind (2D or image; its `kind` says which)."""
    return _header_metadata(data, (FORMAT, IMAGE_FORMAT))


def image_from_bytes(data: bytes, data_root: str | os.PathLike | None,
                     device: str | torch.device = "cpu") -> ImageTrainer:
    """An image trainer resumed from checkpoint bytes, on the train split of its dataset found
    under `data_root`; CheckpointError names what is wrong (the file, or the data missing here)."""
    name = _header_metadata(data, (IMAGE_FORMAT,)).get("dataset", "")
    try:
        return load_checkpoint_bytes(data, load_split(name, "train", data_root), device)
    except (DataError, KeyError) as exc:
        why = exc.args[0] if exc.args else type(exc).__name__  # KeyError's str() adds quotes
        raise CheckpointError(f"image checkpoint of {name!r}: {why}") from None


def _load_opt(opt: torch.optim.Optimizer, meta: dict, tensors: dict) -> None:
    state = {}
    for idx, entry in meta.items():
        state[int(idx)] = {k: tensors[v["tensor"]] if "tensor" in v else v["value"]
                           for k, v in entry.items()}
    opt.load_state_dict({"state": state, "param_groups": opt.state_dict()["param_groups"]})


def from_bytes(data: bytes, device: str | torch.device = "cpu") -> Trainer2D:
    """Rebuild a trainer from checkpoint bytes; CheckpointError names what is wrong."""
    if len(data) > MAX_BYTES:
        raise CheckpointError(f"checkpoint of {len(data)} bytes is over the {MAX_BYTES}-byte limit")
    meta = _header_metadata(data)
    try:
        tensors = st_load(data)
        config = GanConfig.model_validate_json(meta["config"])
        seed, iteration = int(meta["seed"]), int(meta["iteration"])
        name = meta["dataset"]
        if name in CUSTOM:
            view = tuple(tuple(v) for v in json.loads(meta["view"]))
            dataset = points_dataset(tensors["dataset.points"], name, view=view)
        else:
            dataset = get_dataset(name)
        t = Trainer2D(dataset, config, seed, device)
        for net, module in (("G", t.G), ("D", t.D)):
            module.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith(f"{net}.")})
        opts = json.loads(meta["optimizers"])
        _load_opt(t.opt_g, opts["opt_g"], tensors)
        _load_opt(t.opt_d, opts["opt_d"], tensors)
        t.rng.set_state(tensors["rng.state"].to(torch.uint8))
    except CheckpointError:
        raise
    except ValidationError as exc:
        raise CheckpointError(f"checkpoint config is invalid: {exc.errors()[0]['loc']}: "
                              f"{exc.errors()[0]['msg']}") from None
    except (SafetensorError, KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(f"checkpoint is malformed: {type(exc).__name__}: {exc}") from None
    t.iteration = iteration
    for k in ("_loss_d", "_loss_g"):
        if f"losses.{k}" in tensors:
            setattr(t, k, tensors[f"losses.{k}"].reshape(()).to(t.device))
    return t


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old file or the new, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp makes 0600; a checkpoint is an ordinary file
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
