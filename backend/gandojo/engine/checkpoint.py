"""Checkpoints: a session's full training state as one safetensors file (tensors + JSON metadata).

The file holds G and D weights, both optimizers' state, the training RNG state and, for drawn or
uploaded datasets, the points; the metadata holds config, dataset, seed and iteration. Loading
parses the safetensors header as JSON and the tensors as raw little-endian arrays: nothing in the
file is ever executed or unpickled. Image sessions' checkpoints (engine/image_checkpoint.py) share
the header check (`metadata` tells the kinds apart) and load through `image_from_bytes`.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import torch
from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from ..datasets.idx import DataError
from ..datasets.images import load_split
from ..fileio import HeaderError, read_header, tensor_specs
from ..gan.config import GanConfig
from ..gan.datasets import CUSTOM, DATASETS, get_dataset, points_dataset
from ..gan.images.trainer import ImageTrainer
from ..gan.tensor_check import (EntryError, check_opt_states, check_tensors, exact, meta_int,
                                opt_entry_spec)
from ..gan.trainer import Trainer2D
from .image_checkpoint import FORMAT as IMAGE_FORMAT
from .image_checkpoint import load_checkpoint_bytes

FORMAT = "gandojo-checkpoint-1"
MAX_BYTES = 32 * 1024 * 1024
MAX_POINTS = 10_000  # drawn / uploaded points (api/uploads.py checks uploads with the same bounds)
MAX_ABS = 1e6  # their coordinates
MAX_SEED = 2**62


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded; the message says why, `entry` names the tensor or
    metadata field to blame (None: the file as a whole)."""

    def __init__(self, msg: str, entry: str | None = None) -> None:
        self.entry = entry
        super().__init__(msg)


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


def _header(data: bytes, formats: tuple[str, ...] = (FORMAT,)) -> dict[str, Any]:
    """The safetensors header (fileio: the parser the store uses too)."""
    try:
        return read_header(data, formats)
    except HeaderError as exc:
        raise CheckpointError(str(exc)) from None


def _header_metadata(data: bytes, formats: tuple[str, ...] = (FORMAT,)) -> dict[str, str]:
    return _header(data, formats)["__metadata__"]


def metadata(data: bytes) -> dict[str, str]:
    """The metadata of a checkpoint of any kind (2D or image; its `kind` says which)."""
    return _header_metadata(data, (FORMAT, IMAGE_FORMAT))


def image_from_bytes(data: bytes, data_root: str | os.PathLike | None,
                     device: str | torch.device = "cpu") -> ImageTrainer:
    """An image trainer resumed from checkpoint bytes, on the train split of its dataset found
    under `data_root`; CheckpointError names what is wrong (the file, or the data missing here)."""
    header = _header(data, (IMAGE_FORMAT,))  # parsed once, for the loader too
    name = header["__metadata__"].get("dataset", "")
    try:
        return load_checkpoint_bytes(data, load_split(name, "train", data_root), device, header)
    except EntryError as exc:
        raise CheckpointError(f"image checkpoint of {name!r}: {exc}", exc.entry) from None
    except (DataError, KeyError) as exc:
        why = exc.args[0] if exc.args else type(exc).__name__  # KeyError's str() adds quotes
        raise CheckpointError(f"image checkpoint of {name!r}: {why}") from None


def _load_opt(opt: torch.optim.Optimizer, meta: dict, tensors: dict) -> None:
    state = {}
    for idx, entry in meta.items():
        state[int(idx)] = {k: tensors[v["tensor"]] if "tensor" in v else v["value"]
                           for k, v in entry.items()}
    opt.load_state_dict({"state": state, "param_groups": opt.state_dict()["param_groups"]})


def _view(raw: str | None) -> tuple:
    """((x0, x1), (y0, y1)), finite, within ±MAX_ABS and ordered."""
    try:
        view = json.loads(raw) if raw is not None else None
        (x0, x1), (y0, y1) = view
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                 and abs(v) <= MAX_ABS for v in (x0, x1, y0, y1)) and x0 < x1 and y0 < y1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise EntryError("metadata.view", f"must be [[x0, x1], [y0, y1]] with finite x0 < x1 and "
                         f"y0 < y1 within ±{MAX_ABS:g}, not {str(raw)[:60]}")
    return ((float(x0), float(x1)), (float(y0), float(y1)))


def _points_shape(shape: list[int]) -> str | None:
    if len(shape) == 2 and shape[1] == 2 and 1 <= shape[0] <= MAX_POINTS:
        return None
    return f"must hold 1 to {MAX_POINTS} points of [x, y] (shape [N, 2]), not {shape}"


def _points(header: dict, tensors: dict, name: str, view: tuple):
    """The drawn / uploaded dataset of a checkpoint: 1..MAX_POINTS finite points in bounds."""
    spec = tensor_specs(header).get("dataset.points")
    why = "missing" if spec is None else (
        f"must be F32, not {spec[0]}" if spec[0] != "F32" else _points_shape(spec[1]))
    points = tensors.get("dataset.points")
    if not why and not (torch.isfinite(points).all() and points.abs().max() <= MAX_ABS):
        why = f"points must be finite and within ±{MAX_ABS:g}"
    if why:
        raise EntryError("dataset.points", why)
    return points_dataset(points, name, view=view)


def _check_opt_meta(opts: dict[str, torch.optim.Optimizer], meta: dict, found: dict) -> None:
    """The optimizers' layout: known parameters and keys, tensors that exist, finite numbers."""
    names = set()
    for prefix, opt in opts.items():
        entries = meta.get(prefix)
        if not isinstance(entries, dict):
            raise EntryError(f"metadata.optimizers.{prefix}", "missing or not an object")
        for idx, entry in entries.items():
            if not isinstance(entry, dict):
                raise EntryError(f"metadata.optimizers.{prefix}.{idx}", "not an object")
            for key, v in entry.items():
                name = f"{prefix}.{idx}.{key}"
                opt_entry_spec(opt, name, str(idx), key)  # known parameter and state key
                names.add(name)
                if v == {"tensor": name} and name in found:
                    continue
                value = v.get("value", "") if isinstance(v, dict) and len(v) == 1 else ""
                if not (value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                          and math.isfinite(value))):
                    raise EntryError(f"metadata.optimizers.{name}", "must name its tensor "
                                     f"{name!r} or hold a finite number")
    check_opt_states(opts, names)


def _check_2d(t: Trainer2D, header: dict, opts_meta: dict, custom: bool) -> None:
    """Every tensor of the file against the trainer built from its config (EntryError)."""
    found = tensor_specs(header)
    fixed = {"rng.state": ("U8", exact(list(t.rng.get_state().shape))),
             "losses._loss_d": ("F32", exact([1])), "losses._loss_g": ("F32", exact([1]))}
    if custom:
        fixed["dataset.points"] = ("F32", _points_shape)
    opts = {"opt_g": t.opt_g, "opt_d": t.opt_d}
    check_tensors(found, {"G": t.G, "D": t.D}, opts, fixed,
                  {"rng.state", *(["dataset.points"] if custom else [])})
    _check_opt_meta(opts, opts_meta, found)


def from_bytes(data: bytes, device: str | torch.device = "cpu") -> Trainer2D:
    """Rebuild a trainer from checkpoint bytes; CheckpointError names what is wrong (`entry`:
    the tensor or metadata field, when one is to blame)."""
    if len(data) > MAX_BYTES:
        raise CheckpointError(f"checkpoint of {len(data)} bytes is over the {MAX_BYTES}-byte limit")
    header = _header(data)
    meta = header["__metadata__"]
    try:
        config = GanConfig.model_validate_json(meta["config"])
        seed, iteration = meta_int(meta, "seed", MAX_SEED), meta_int(meta, "iteration")
        name = meta.get("dataset", "")
        custom = name in CUSTOM
        if not custom and name not in DATASETS:
            raise EntryError("metadata.dataset", f"{name[:40]!r} is not a dataset of this server")
        view = _view(meta.get("view")) if custom else None
        try:
            opts_meta = json.loads(meta["optimizers"])
        except (KeyError, ValueError):
            raise EntryError("metadata.optimizers", "missing or not JSON") from None
        if not isinstance(opts_meta, dict):
            raise EntryError("metadata.optimizers", "not an object")
        tensors = st_load(data)
        dataset = _points(header, tensors, name, view) if custom else get_dataset(name)
        t = Trainer2D(dataset, config, seed, device)
        _check_2d(t, header, opts_meta, custom)
        for net, module in (("G", t.G), ("D", t.D)):
            module.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith(f"{net}.")})
        _load_opt(t.opt_g, opts_meta["opt_g"], tensors)
        _load_opt(t.opt_d, opts_meta["opt_d"], tensors)
        t.rng.set_state(tensors["rng.state"])
    except EntryError as exc:
        raise CheckpointError(str(exc), exc.entry) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CheckpointError(f"checkpoint config is invalid: {err['loc']}: {err['msg']}",
                              "metadata.config") from None
    except (SafetensorError, KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(f"checkpoint is malformed: {type(exc).__name__}: {exc}") from None
    t.iteration = iteration
    for k in ("_loss_d", "_loss_g"):
        if f"losses.{k}" in tensors:
            setattr(t, k, tensors[f"losses.{k}"].reshape(()).to(t.device))
    return t
