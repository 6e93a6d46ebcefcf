"""Per-session server limits (model size, batch, heatmap, steps): one check for every session kind.

The manager and the sessions call these at creation and on every config change (REST and
websocket alike), so a request over a limit is refused with a message naming the field and the
limit instead of slowing the server down for everybody. Image sessions use the same helpers:

    from gandojo.engine.limits import check
    check(session.limits, batch_size=cfg.batch_size, params=n_params(G) + n_params(D))

(`n_params(module)` counts a built module; `params_2d(config)` counts a 2D config before building.)
The API turns a `LimitError` into a 422 (REST, `detail` like a validation error) or a websocket
error message whose `field` is `exc.field`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..gan.config import GanConfig
from ..settings import Settings


@dataclass(frozen=True)
class Limits:
    """The server's limits; the defaults are the settings' (settings.py is the one source)."""

    max_params: int = Settings.max_params  # G + D parameters
    max_batch: int = Settings.max_batch
    max_heatmap_resolution: int = Settings.max_heatmap_resolution
    max_step_n: int = Settings.max_step_n  # iterations per step command (and per frame)

    @classmethod
    def from_settings(cls, settings: Any) -> "Limits":
        """The limits named in a Settings object (any object with these attributes)."""
        return cls(**{k: int(getattr(settings, k)) for k in asdict(cls())})

    def describe(self) -> dict[str, int]:
        return asdict(self)


class LimitError(ValueError):
    """A request over a server limit; `field` names what broke it, `setting` which limit."""

    def __init__(self, field: str, value: int, limit: int, setting: str, hint: str = "") -> None:
        self.field, self.value, self.limit, self.setting = field, value, limit, setting
        super().__init__(f"{field}: {value:,} is over the server's limit of {limit:,} ({setting})"
                         + (f"; {hint}" if hint else ""))

    def detail(self, prefix: tuple = ("body",)) -> list[dict[str, Any]]:
        """A FastAPI-style error list (the same shape as a 422 validation error)."""
        return [{"loc": [*prefix, *self.field.split(".")], "msg": str(self), "type": "limit_exceeded",
                 "limit": self.limit, "setting": self.setting}]


def check(limits: Limits, *, batch_size: int | None = None, params: int | None = None,
          heatmap_resolution: int | None = None) -> None:
    """Raise LimitError for the first value over its limit (None: not checked); the field names
    are relative to the config (the API puts `config.` or the body's location in front)."""
    if params is not None and params > limits.max_params:
        raise LimitError("params", params, limits.max_params, "max_params",
                         "G + D parameters: use fewer hidden layers or neurons")
    if batch_size is not None and batch_size > limits.max_batch:
        raise LimitError("batch_size", batch_size, limits.max_batch, "max_batch")
    if heatmap_resolution is not None and heatmap_resolution > limits.max_heatmap_resolution:
        raise LimitError("heatmap_resolution", heatmap_resolution,
                         limits.max_heatmap_resolution, "max_heatmap_resolution")


def check_steps(limits: Limits, n: int, field: str = "n") -> None:
    """Iterations asked for in one command (step n, iterations per frame)."""
    if n > limits.max_step_n:
        raise LimitError(field, n, limits.max_step_n, "max_step_n")


def mlp_params(in_dim: int, out_dim: int, hidden_layers: int, neurons: int) -> int:
    """Weights + biases of in -> [Linear] * hidden_layers -> Linear -> out."""
    widths = [in_dim] + [neurons] * hidden_layers + [out_dim]
    return sum((a + 1) * b for a, b in zip(widths, widths[1:]))


def params_2d(config: GanConfig) -> int:
    """G + D parameter count of a 2D config, computed without building the networks."""
    g, d = config.generator, config.discriminator
    return (mlp_params(config.noise.dim, 2, g.hidden_layers, g.neurons)
            + mlp_params(2 * config.pack, 1, d.hidden_layers, d.neurons))


def n_params(module: Any) -> int:
    """Parameters of a built torch module."""
    return sum(p.numel() for p in module.parameters())


def check_2d(limits: Limits, config: GanConfig) -> None:
    """Every limit a 2D config can break."""
    check(limits, batch_size=config.batch_size, params=params_2d(config),
          heatmap_resolution=config.heatmap_resolution)
