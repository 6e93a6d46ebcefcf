"""Image-GAN checkpoints: one safetensors file with G, D, both Adam states, RNG states and counters.

Tensors: `G.*`, `D.*` (state dicts), `opt_g.<i>.<key>` / `opt_d.<i>.<key>` (Adam's per-parameter
state), `rng.train`, `rng.sample` (generator states), `data.perm` (the epoch order). String
metadata: format, dataset, source, seed, iteration, images_seen, data position and the config as
JSON (validated by pydantic on load). Loading reads raw tensors only — nothing is unpickled.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
from pydantic import ValidationError
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from ..datasets.idx import DataError
from ..datasets.images import ImageData
from ..fileio import atomic_write
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


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata of an image checkpoint (validated format); DataError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: checkpoint not found")
    if path.stat().st_size > MAX_BYTES:
        raise DataError(f"{path}: larger than {MAX_BYTES} bytes; not a GAN Dojo image checkpoint")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
    except (SafetensorError, OSError) as exc:
        raise DataError(f"{path}: not a safetensors file ({exc})") from None
    if meta.get("format") != FORMAT:
        raise DataError(f"{path}: not a GAN Dojo image checkpoint (format {meta.get('format')!r})")
    return meta


def _load_opt(prefix: str, opt: torch.optim.Optimizer, fh) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name in fh.keys():
        if name.startswith(prefix + "."):
            _, idx, key = name.split(".", 2)
            state.setdefault(int(idx), {})[key] = fh.get_tensor(name)
    current = opt.state_dict()
    opt.load_state_dict({"state": state, "param_groups": current["param_groups"]})


def load_checkpoint_bytes(blob: bytes, data: ImageData, device: str | torch.device = "cpu") -> ImageTrainer:
    """`load_checkpoint` for bytes (an upload): written to a private temporary file first."""
    if len(blob) > MAX_BYTES:
        raise DataError(f"checkpoint larger than {MAX_BYTES} bytes")
    with tempfile.TemporaryDirectory(prefix="gandojo-ckpt-") as tmp:
        path = Path(tmp) / "upload.safetensors"
        path.write_bytes(blob)
        try:
            return load_checkpoint(path, data, device)
        except DataError as exc:
            raise DataError(str(exc).replace(str(path), "the uploaded checkpoint")) from None


def _set_rng(g: torch.Generator, state: torch.Tensor) -> None:
    """Restore a generator state; one saved on another kind of device (CPU vs CUDA states differ)
    leaves the freshly seeded generator: training goes on, not bit for bit."""
    try:
        g.set_state(state)
    except RuntimeError:
        pass


def _check_entries(t: ImageTrainer, fh) -> None:
    """Every tensor's dtype and shape against the models and optimizers of `t` (EntryError)."""
    found = {k: (fh.get_slice(k).get_dtype(), list(fh.get_slice(k).get_shape())) for k in fh.keys()}
    one_d = lambda shape: None if len(shape) == 1 else f"must be 1-D, not {shape}"  # noqa: E731
    fixed = {"rng.train": ("U8", one_d), "rng.sample": ("U8", one_d), "data.perm": ("I64", one_d)}
    opts = {"opt_g": t.opt_g, "opt_d": t.opt_d}
    check_tensors(found, {"G": t.G, "D": t.D}, opts, fixed, {"rng.train", "rng.sample"})
    check_opt_states(opts, set(found))


def load_checkpoint(path: str | os.PathLike, data: ImageData,
                    device: str | torch.device = "cpu") -> ImageTrainer:
    """An ImageTrainer restored from `path`, training on `data` (the checkpoint's dataset).

    Weights, optimizer states, RNGs and counters continue exactly where they were when `data`
    is the same split the checkpoint was written with; DataError names the file on any mismatch,
    EntryError the tensor or metadata field whose dtype, shape or value does not fit.
    """
    path = Path(path)
    meta = read_metadata(path)
    if meta.get("dataset") != data.name:
        raise DataError(f"{path}: a checkpoint of {meta.get('dataset')!r}, not of {data.name!r}")
    try:
        config = ImageGanConfig.model_validate_json(meta["config"])
        counts = {k: meta_int(meta, k) for k in ("seed", "iteration", "images_seen", "position",
                                                "train_count")}
        t = ImageTrainer(data, config, counts["seed"], device)
        with safe_open(str(path), framework="pt") as fh:
            _check_entries(t, fh)
            for net, module in (("G", t.G), ("D", t.D)):
                sd = {k[len(net) + 1:]: fh.get_tensor(k) for k in fh.keys() if k.startswith(net + ".")}
                module.load_state_dict(sd, strict=True)
            _load_opt("opt_g", t.opt_g, fh)
            _load_opt("opt_d", t.opt_d, fh)
            _set_rng(t.rng, fh.get_tensor("rng.train"))
            _set_rng(t.sample_rng, fh.get_tensor("rng.sample"))
            if "data.perm" in set(fh.keys()) and counts["train_count"] == data.count:
                perm = fh.get_tensor("data.perm").long()
                if torch.equal(perm.sort().values, torch.arange(data.count)):  # a permutation
                    t.set_data_order(perm, min(counts["position"], data.count))
        t.iteration, t.images_seen = counts["iteration"], counts["images_seen"]
    except EntryError:
        raise
    except (KeyError, ValueError, RuntimeError, SafetensorError, ValidationError) as exc:
        raise DataError(f"{path}: cannot restore it ({type(exc).__name__}: {exc})") from None
    return t
