"""Session commands: the pydantic `Command` union (websocket JSON, REST bodies) and the one table
that dispatches them to the session methods marked `@handles(...)`.

A field's path from the wire to the trainer: e.g. a websocket {"cmd": "config", "config": {...}}
or PATCH /config body validates as `ConfigCmd`; `ConfigCmd.arguments()` passes `config` as `patch`
to the method marked `@handles("config")` (`Session._cmd_config`), which merges it
(gan/config.merged_config) and hands it to `Trainer2D.apply_config` -> `update_optimizer`.
`COMMAND_NAMES` is derived from the union; `INTERNAL` names the engine's own commands (never on
the wire: frames, checkpoints, model copies, linking).
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..gan.presets import KNOBS, PRESETS
from .catalogue import CATALOGUES
from .checkpoint import MAX_ABS, MAX_POINTS  # the bounds uploads and checkpoints meet too
from .limits import Limits

DatasetName = Literal[tuple(n for names in CATALOGUES.values() for n in names)]  # type: ignore[valid-type]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
MAX_STEP_N = Limits.max_step_n  # the default server limit; the session checks the server's own
MAX_UNTIL = 100_000_000
MAX_GRID_INDEX = 127  # the largest grid (cgan) has 80 samples; the session checks the exact size
PresetName = Literal[tuple(PRESETS)]  # type: ignore[valid-type]
KnobName = Literal[tuple(KNOBS)]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # NaN, Infinity: 422


class _Cmd(_Body):
    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the session method that handles this command."""
        return self.model_dump(exclude={"cmd"})


# ---------------------------------------------------------------- bodies (REST) and commands
class StepBody(_Body):
    n: int = Field(1, ge=1, le=MAX_STEP_N)
    part: Literal["both", "d", "g"] = "both"


class ResetBody(_Body):
    dataset: DatasetName | None = None
    seed: Seed | None = None


class PlayBody(_Body):
    until: int | None = Field(None, ge=1, le=MAX_UNTIL,
                              description="stop at this iteration exactly (after the current one)")


class PresetBody(_Body):
    name: PresetName


class KnobBody(_Body):
    name: KnobName


class InterpolateBody(_Body):
    a: int | None = Field(..., ge=0, le=MAX_GRID_INDEX, description="grid index; null clears")
    b: int = Field(0, ge=0, le=MAX_GRID_INDEX)
    steps: int = Field(10, ge=2, le=32)


class GridBody(_Body):
    label: int | None = Field(..., ge=0, le=9, description="cgan class picker; null: all classes")


class PlayCmd(PlayBody, _Cmd):
    cmd: Literal["play"]


class PauseCmd(_Cmd):
    cmd: Literal["pause"]


class StepCmd(StepBody, _Cmd):
    cmd: Literal["step"]


class ResetCmd(ResetBody, _Cmd):
    cmd: Literal["reset"]


class ConfigCmd(_Cmd):
    cmd: Literal["config"]
    config: dict[str, Any]

    def arguments(self) -> dict[str, Any]:
        return {"patch": self.config}


class SlowmoCmd(_Cmd):
    cmd: Literal["slowmo"]
    on: bool
    stage_ms: int | None = Field(None, ge=200, le=3000)


class SpeedCmd(_Cmd):
    cmd: Literal["speed"]
    iterations_per_frame: int = Field(ge=0, le=MAX_STEP_N)


class SnapshotCmd(_Cmd):
    cmd: Literal["snapshot"]


class DrsCmd(_Cmd):
    cmd: Literal["drs"]
    on: bool
    percentile: float = Field(95.0, ge=1.0, le=99.9)


class PointsCmd(_Cmd):
    cmd: Literal["points"]
    points: list[Annotated[list[Annotated[float, Field(ge=-MAX_ABS, le=MAX_ABS)]],
                           Field(min_length=2, max_length=2)]] = Field(min_length=1, max_length=MAX_POINTS)


class PresetCmd(PresetBody, _Cmd):
    cmd: Literal["preset"]


class KnobCmd(KnobBody, _Cmd):
    cmd: Literal["knob"]


class InterpolateCmd(InterpolateBody, _Cmd):
    cmd: Literal["interpolate"]


class GridCmd(GridBody, _Cmd):
    cmd: Literal["grid"]


Command = Annotated[Union[PlayCmd, PauseCmd, StepCmd, ResetCmd, ConfigCmd, SlowmoCmd, SpeedCmd,
                          SnapshotCmd, DrsCmd, PointsCmd, PresetCmd, KnobCmd, InterpolateCmd,
                          GridCmd],
                    Field(discriminator="cmd")]
COMMAND_MODELS: dict[str, type[_Cmd]] = {
    get_args(m.model_fields["cmd"].annotation)[0]: m for m in get_args(get_args(Command)[0])}
COMMAND_NAMES = frozenset(COMMAND_MODELS)
READ_ONLY_COMMANDS = {"snapshot"}  # what a read-only viewer's socket may send
INTERNAL = frozenset({"publish", "checkpoint", "model_copy", "link"})


# ---------------------------------------------------------------- the dispatch table
def handles(command: str | type[_Cmd]) -> Callable[[Callable], Callable]:
    """Mark a session method as the handler of `command` (a name of the union, or INTERNAL)."""
    name = command if isinstance(command, str) else get_args(command.model_fields["cmd"].annotation)[0]
    if name not in COMMAND_NAMES | INTERNAL:
        raise ValueError(f"{name!r} is neither a command of the Command union nor internal")

    def mark(fn: Callable) -> Callable:
        fn.handles = name  # type: ignore[attr-defined]
        return fn
    return mark


def handler_table(cls: type) -> dict[str, str]:
    """Command name -> method name for a session class (its own and inherited @handles)."""
    table: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            name = getattr(value, "handles", None)
            if isinstance(name, str):
                table[name] = attr
    return table
