"""Engine errors across a process boundary: packed where they happen, raised again at the gateway.

Many engine exceptions take keyword-like constructor arguments (`InputError(field, msg)`,
`LimitError(field, value, limit, setting)`), which plain pickling cannot rebuild; a packed error
carries its class, `args` and attributes and is rebuilt without calling `__init__`. Pydantic's
ValidationError pickles by itself and travels as it is. Only our own processes exchange these
(trusted, inside the Ray cluster); nothing from a client is ever unpickled.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..engine.worker import CommandFailed


class WorkerLost(CommandFailed):
    """The worker process holding a session died while a call was on its way (API: 409)."""


def pack_error(exc: BaseException) -> tuple:
    if isinstance(exc, ValidationError):
        return ("validation", exc)
    attrs = {k: v for k, v in vars(exc).items() if _plain(v)}
    return ("plain", type(exc), tuple(a for a in exc.args if _plain(a)), attrs)


def unpack_error(packed: tuple) -> BaseException:
    if packed[0] == "validation":
        return packed[1]
    _, cls, args, attrs = packed
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(attrs)
    return exc


def unwrap(packed: tuple) -> Any:
    """The value of a host's ("ok", value, ...) answer; its engine error raised for ("err", packed, ...)."""
    if packed[0] != "ok":
        raise unpack_error(packed[1])
    return packed[1]


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, tuple, list, dict))
