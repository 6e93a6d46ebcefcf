"""Checks a checkpoint's tensors against the models and optimizers they are about to be loaded into.

Before any tensor of an uploaded checkpoint reaches a model or an optimizer, every entry's dtype
and shape is compared with what the freshly built trainer holds: `G.*` / `D.*` with the state
dicts, `<opt>.<index>.<key>` with the optimizer's per-parameter state (the keys its class keeps,
shaped like parameter `index`; `step` a float32 scalar), and the caller's fixed entries (RNG
states, points). Unknown entries are refused. `EntryError.entry` names the offending entry.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

DTYPE_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
               torch.bfloat16: "BF16", torch.uint8: "U8", torch.int8: "I8", torch.int32: "I32",
               torch.int64: "I64", torch.bool: "BOOL"}
Spec = tuple[str, list[int]]  # (safetensors dtype, shape)
ShapeCheck = Callable[[list[int]], str | None]  # an error message, or None when the shape is fine


class EntryError(ValueError):
    """One checkpoint entry (a tensor or a metadata field) is wrong; `entry` names it."""

    def __init__(self, entry: str, msg: str) -> None:
        self.entry = entry
        super().__init__(f"{entry}: {msg}")


MAX_COUNT = 2**62  # iteration, seed and the other counters of a checkpoint


def meta_int(meta: dict[str, str], key: str, hi: int = MAX_COUNT) -> int:
    """An integer of the metadata within 0..hi (EntryError naming `metadata.key` otherwise)."""
    try:
        value = int(meta[key])
    except KeyError:
        raise EntryError(f"metadata.{key}", "missing") from None
    except ValueError:
        raise EntryError(f"metadata.{key}", f"{meta[key][:40]!r} is not an integer") from None
    if not 0 <= value <= hi:
        raise EntryError(f"metadata.{key}", f"{value} is outside 0..{hi}")
    return value


def dtype_name(dtype: torch.dtype) -> str:
    return DTYPE_NAMES.get(dtype, str(dtype))


def state_keys(opt: torch.optim.Optimizer) -> set[str] | None:
    """The per-parameter state keys `opt` keeps after a step (None: a class not known here)."""
    g = opt.param_groups[0]
    if isinstance(opt, torch.optim.SGD):
        return {"momentum_buffer"}
    if isinstance(opt, torch.optim.Adam):
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if g.get("amsgrad") else set())
    if isinstance(opt, torch.optim.RMSprop):
        return ({"step", "square_avg"} | ({"momentum_buffer"} if g.get("momentum") else set())
                | ({"grad_avg"} if g.get("centered") else set()))
    return None


def params_of(opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in opt.param_groups for p in group["params"]]


def opt_entry_spec(opt: torch.optim.Optimizer, entry: str, idx: str, key: str) -> Spec:
    """The (dtype, shape) that state `key` of parameter `idx` must have; EntryError if none."""
    params, keys = params_of(opt), state_keys(opt)
    if not idx.isdigit() or int(idx) >= len(params):
        raise EntryError(entry, f"parameter index {idx!r} is not one of the optimizer's "
                         f"{len(params)} parameters")
    if keys is not None and key not in keys:
        raise EntryError(entry, f"{type(opt).__name__} keeps no {key!r} state (it keeps "
                         f"{', '.join(sorted(keys))})")
    p = params[int(idx)]
    return ("F32", []) if key == "step" else (dtype_name(p.dtype), list(p.shape))


def check_tensors(found: dict[str, Spec], modules: dict[str, nn.Module],
                  opts: dict[str, torch.optim.Optimizer],
                  fixed: dict[str, tuple[str, ShapeCheck]], required: set[str]) -> None:
    """Every entry of `found` must be a module weight, an optimizer state or a `fixed` entry of
    that dtype and shape; every module weight and every name in `required` must be present."""
    for name, (dtype, shape) in found.items():
        prefix, _, rest = name.partition(".")
        if name in fixed:
            want_dtype, shape_error = fixed[name]
            why = shape_error(shape)
            if why:
                raise EntryError(name, why)
            want = (want_dtype, shape)
        elif prefix in modules:
            sd = modules[prefix].state_dict()
            if rest not in sd:
                raise EntryError(name, f"the model has no weight {rest!r}")
            want = (dtype_name(sd[rest].dtype), list(sd[rest].shape))
        elif prefix in opts and rest.count(".") == 1:
            want = opt_entry_spec(opts[prefix], name, *rest.split("."))
        else:
            raise EntryError(name, "not an entry of a GAN Dojo checkpoint of this kind")
        if (dtype, shape) != want:
            raise EntryError(name, f"is {dtype} {shape}; the model built from the checkpoint's "
                             f"config needs {want[0]} {want[1]}")
    for prefix, module in modules.items():
        for key in module.state_dict():
            if f"{prefix}.{key}" not in found:
                raise EntryError(f"{prefix}.{key}", "Missing key: the model built from the "
                                 "checkpoint's config needs it")
    for name in required:
        if name not in found:
            raise EntryError(name, "missing")


def check_opt_states(opts: dict[str, torch.optim.Optimizer], found: set[str]) -> None:
    """A parameter with any optimizer state has all of it (a partial state fails mid-step)."""
    for prefix, opt in opts.items():
        keys = state_keys(opt)
        if keys is None:
            continue
        seen: dict[str, set[str]] = {}
        for name in found:
            head, _, rest = name.partition(".")
            if head == prefix and rest.count(".") == 1:
                idx, key = rest.split(".")
                seen.setdefault(idx, set()).add(key)
        for idx, have in seen.items():
            if have != keys:
                missing = sorted(keys - have)
                raise EntryError(f"{prefix}.{idx}.{missing[0]}", "missing (the other states of "
                                 "this parameter are present)")


def exact(shape: list[int]) -> ShapeCheck:
    """A fixed entry of exactly `shape`."""
    return lambda got: None if got == shape else f"shape must be {shape}, not {got}"
