"""Image-GAN checkpoints: one safetensors file with G, D, both Adam states, RNG states and counters.

Tensors: `G.*`, `D.*` (state dicts), `opt_g.<i>.<key>` / `opt_d.<i>.<key>` (Adam's per-parameter
state), `rng.train`, `rng.sample` (generator states), `data.perm` (the epoch order). String
metadata: format, dataset, source, seed, iteration, images_seen, data position and the config as
JSON (validated by pydantic on load). Loading parses the header once (fileio) and reads raw
tensors only — nothing is unpickled.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save

from ..datasets.idx import DataError
from ..datasets.images import ImageData
from ..fileio import MAX_HEADER, HeaderError, atomic_write, parse_header, tensor_specs
from ..gan.images.config import ImageGanConfig
from ..gan.images.trainer import ImageTrainer
from ..gan.tensor_check import EntryError, check_opt_states, check_tensors, meta_int

FORMAT = "gandojo-image-checkpoint-1"
MAX_BYTES = 256 * 1024 * 1024


def _opt_tensors(prefix: str, opt: torch.optim.Optimizer, out: dict[str, torch.Tensor]) -> None:
    for idx, state in opt.state_dict()["state"].items():
        for key, value in state.items():
            out[f"{prefix}.{idx}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()


def to_bytes(t: ImageTrainer) -> bytes:
    """The full training state of `t` as safetensors bytes."""
    tensors: dict[str, torch.Tensor] = {}
    for net, module in (("G", t.G), ("D", t.D)):
        for name, value in module.state_dict().items():
            tensors[f"{net}.{name}"] = value.detach().cpu().contiguous()
    _opt_tensors("opt_g", t.opt_g, tensors)
    _opt_tensors("opt_d", t.opt_d, tensors)
    tensors["rng.train"] = t.rng.get_state().cpu()
    tensors["rng.sample"] = t.sample_rng.get_state().cpu()
    perm, position = t.data_order()
    if perm is not None:
        tensors["data.perm"] = perm.cpu().contiguous()
    meta = {"format": FORMAT, "kind": "image", "dataset": t.data.name, "source": t.data.source,
            "train_count": str(t.data.count), "seed": str(t.seed), "iteration": str(t.iteration),
            "images_seen": str(t.images_seen), "position": str(position),
            "config": t.config.model_dump_json()}
    return save(tensors, metadata=meta)


def save_checkpoint(t: ImageTrainer, path: str | os.PathLike) -> Path:
    """Write the checkpoint of `t` atomically."""
    return atomic_write(path, to_bytes(t))


def _header(head: bytes, size: int, name: str) -> dict[str, Any]:
    """The checked safetensors header of an image checkpoint (fileio); DataError naming `name`."""
    if size > MAX_BYTES:
        raise DataError(f"{name}: larger than {MAX_BYTES} bytes; not a GAN Dojo image checkpoint")
    try:
        return parse_header(head, size, (FORMAT,))
    except HeaderError as exc:
        raise DataError(f"{name}: {exc}") from None


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata of an image checkpoint (validated format); DataError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: checkpoint not found")
    with open(path, "rb") as fh:
        head = fh.read(8 + MAX_HEADER)
    return _header(head, path.stat().st_size, str(path))["__metadata__"]


def _load_opt(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor]) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith(prefix + "."):
            _, idx, key = name.split(".", 2)
            state.setdefault(int(idx), {})[key] = value
    current = opt.state_dict()
    opt.load_state_dict({"state": state, "param_groups": current["param_groups"]})


def _set_rng(g: torch.Generator, state: torch.Tensor) -> None:
    """Restore a generator state; one saved on another kind of device (CPU vs CUDA states differ)
    leaves the freshly seeded generator: training goes on, not bit for bit."""
    try:
        g.set_state(state)
    except RuntimeError:
        pass


def _check_entries(t: ImageTrainer, found: dict[str, tuple[str, list[int]]]) -> None:
    """Every tensor's dtype and shape (from the header) against the models and optimizers of `t`."""
    one_d = lambda shape: None if len(shape) == 1 else f"must be 1-D, not {shape}"  # noqa: E731
    fixed = {"rng.train": ("U8", one_d), "rng.sample": ("U8", one_d), "data.perm": ("I64", one_d)}
    opts = {"opt_g": t.opt_g, "opt_d": t.opt_d}
    check_tensors(found, {"G": t.G, "D": t.D}, opts, fixed, {"rng.train", "rng.sample"})
    check_opt_states(opts, set(found))


def load_checkpoint(path: str | os.PathLike, data: ImageData,
                    device: str | torch.device = "cpu") -> ImageTrainer:
    """An ImageTrainer restored from the checkpoint file `path` (see `load_checkpoint_bytes`)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: checkpoint not found")
    if path.stat().st_size > MAX_BYTES:  # before reading it all
        raise DataError(f"{path}: larger than {MAX_BYTES} bytes; not a GAN Dojo image checkpoint")
    return load_checkpoint_bytes(path.read_bytes(), data, device, name=str(path))


def load_checkpoint_bytes(blob: bytes, data: ImageData, device: str | torch.device = "cpu",
                          header: dict[str, Any] | None = None,
                          name: str = "the uploaded checkpoint") -> ImageTrainer:
    """An ImageTrainer restored from checkpoint bytes, training on `data` (its dataset).

    Weights, optimizer states, RNGs and counters continue exactly where they were when `data`
    is the same split the checkpoint was written with; DataError names the checkpoint (`name`)
    on any mismatch, EntryError the tensor or metadata field whose dtype, shape or value does not
    fit. The header is parsed once (`header`: already parsed by the caller), the tensors read
    from the bytes (no temporary file)."""
    header = header or _header(blob[:8 + MAX_HEADER], len(blob), name)
    meta = header["__metadata__"]
    if meta.get("dataset") != data.name:
        raise DataError(f"{name}: a checkpoint of {meta.get('dataset')!r}, not of {data.name!r}")
    try:
        config = ImageGanConfig.model_validate_json(meta["config"])
        counts = {k: meta_int(meta, k) for k in ("seed", "iteration", "images_seen", "position",
                                                "train_count")}
        t = ImageTrainer(data, config, counts["seed"], device)
        _check_entries(t, tensor_specs(header))
        tensors = st_load(blob)
        for net, module in (("G", t.G), ("D", t.D)):
            sd = {k[len(net) + 1:]: v for k, v in tensors.items() if k.startswith(net + ".")}
            module.load_state_dict(sd, strict=True)
        _load_opt("opt_g", t.opt_g, tensors)
        _load_opt("opt_d", t.opt_d, tensors)
        _set_rng(t.rng, tensors["rng.train"])
        _set_rng(t.sample_rng, tensors["rng.sample"])
        if "data.perm" in tensors and counts["train_count"] == data.count:
            perm = tensors["data.perm"].long()
            if torch.equal(perm.sort().values, torch.arange(data.count)):  # a permutation
                t.set_data_order(perm, min(counts["position"], data.count))
        t.iteration, t.images_seen = counts["iteration"], counts["images_seen"]
    except EntryError:
        raise
    except (KeyError, ValueError, RuntimeError, SafetensorError, ValidationError) as exc:
        raise DataError(f"{name}: cannot restore it ({type(exc).__name__}: {exc})") from None
    return t
