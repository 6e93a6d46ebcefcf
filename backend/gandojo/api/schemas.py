"""Request bodies and websocket commands, with bounds; errors name the field that broke them."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..gan.datasets import DATASETS
from ..gan.presets import KNOBS, PRESETS
from .schemas_images import IMAGE_DATASET_NAMES, GridCmd, InterpolateCmd

DatasetName = Literal[tuple(DATASETS) + IMAGE_DATASET_NAMES]  # type: ignore[valid-type]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
MAX_STEP_N = 10_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # NaN, Infinity: 422


PresetName = Literal[tuple(PRESETS)]  # type: ignore[valid-type]
KnobName = Literal[tuple(KNOBS)]  # type: ignore[valid-type]


class CreateSession(_Body):
    dataset: DatasetName = "gaussians"
    seed: Seed | None = None
    preset: PresetName | None = None
    config: dict[str, Any] | None = Field(None, description="partial config, merged onto the defaults")
    pretrained: bool = Field(False, description="start from the shipped converged model of the dataset")
    keep: bool = Field(False, description="the idle reaper saves it (GET /api/saved) before ending it")


class StepBody(_Body):
    n: int = Field(1, ge=1, le=MAX_STEP_N)
    part: Literal["both", "d", "g"] = "both"


class ResetBody(_Body):
    dataset: DatasetName | None = None
    seed: Seed | None = None


MAX_UNTIL = 100_000_000


class PlayBody(_Body):
    until: int | None = Field(None, ge=1, le=MAX_UNTIL,
                              description="stop at this iteration exactly (after the current one)")


class PlayCmd(PlayBody):
    cmd: Literal["play"]


class PauseCmd(_Body):
    cmd: Literal["pause"]


class StepCmd(StepBody):
    cmd: Literal["step"]


class ResetCmd(ResetBody):
    cmd: Literal["reset"]


class ConfigCmd(_Body):
    cmd: Literal["config"]
    config: dict[str, Any]


class SlowmoCmd(_Body):
    cmd: Literal["slowmo"]
    on: bool
    stage_ms: int | None = Field(None, ge=200, le=3000)


class SpeedCmd(_Body):
    cmd: Literal["speed"]
    iterations_per_frame: int = Field(ge=0, le=MAX_STEP_N)


class SnapshotCmd(_Body):
    cmd: Literal["snapshot"]


class DrsCmd(_Body):
    cmd: Literal["drs"]
    on: bool
    percentile: float = Field(95.0, ge=1.0, le=99.9)


class PointsCmd(_Body):
    cmd: Literal["points"]
    points: list[Annotated[list[Annotated[float, Field(ge=-1e6, le=1e6)]],
                           Field(min_length=2, max_length=2)]] = Field(min_length=1, max_length=10_000)


class PresetBody(_Body):
    name: PresetName


class KnobBody(_Body):
    name: KnobName


class PresetCmd(PresetBody):
    cmd: Literal["preset"]


class KnobCmd(KnobBody):
    cmd: Literal["knob"]


Command = Annotated[Union[PlayCmd, PauseCmd, StepCmd, ResetCmd, ConfigCmd, SlowmoCmd, SpeedCmd,
                          SnapshotCmd, DrsCmd, PointsCmd, PresetCmd, KnobCmd, InterpolateCmd,
                          GridCmd],
                    Field(discriminator="cmd")]
READ_ONLY_COMMANDS = {"snapshot"}
COMMAND_NAMES = {"interpolate", "grid",
                 "play", "pause", "step", "reset", "config", "slowmo", "speed", "snapshot", "drs",
                 "points", "preset", "knob"}


def error_list(exc: ValidationError, prefix: tuple = ()) -> list[dict[str, Any]]:
    """Pydantic errors as JSON-safe dicts, locations prefixed (e.g. ("body", "config"))."""
    return [{"loc": [*prefix, *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)]


def describe(errors: list[dict[str, Any]]) -> str:
    """One line naming each broken field and its bound: 'generator.lr: Input should be > 0'."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """Every 4xx body: `detail` is a message, or (422) a list naming each broken field."""
    detail: str | list[ErrorItem]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text} for code, text in (
        (400, "malformed request (e.g. a body that is not JSON)"), (401, "token or password missing"),
        (403, "wrong token, or a viewer token on a control call"), (404, "no such session / saved name"),
        (409, "conflicts with the current state"), (410, "the session ended meanwhile"),
        (413, "body over its size limit"),
        (422, "a field outside its bounds; `detail` names it"),
        (429, "too many sessions (on the server, or of this client address), uploads at once or "
              "wrong passwords; `Retry-After` says when to try again"))}
