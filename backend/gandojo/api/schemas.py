"""Request bodies (the commands' own from engine/commands.py) and reply models, with bounds;
errors name the field that broke them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.checkpoint import MAX_ABS, MAX_POINTS
from ..engine.commands import (COMMAND_NAMES, READ_ONLY_COMMANDS, Command,  # noqa: F401 (the api's
                               DatasetName, GridBody, InterpolateBody, KnobBody,  # bodies, one import)
                               PlayBody, PresetBody, PresetName, ResetBody, Seed, StepBody)
from ..engine.store import NAME_RE


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # NaN, Infinity: 422


class CreateSession(_Body):
    dataset: DatasetName = "gaussians"
    seed: Seed | None = None
    preset: PresetName | None = None
    config: dict[str, Any] | None = Field(None, description="partial config, merged onto the defaults")
    pretrained: bool = Field(False, description="start from the shipped converged model of the dataset")
    keep: bool = Field(False, description="the idle reaper saves it (GET /api/saved) before ending it")


# the websocket commands and the bodies they share live in engine/commands.py (imported above)


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


Point = Annotated[list[Annotated[float, Field(ge=-MAX_ABS, le=MAX_ABS)]],
                  Field(min_length=2, max_length=2)]  # the bounds uploads.check_points enforces


class PointsBody(_Body):
    points: list[Point] = Field(min_length=1, max_length=MAX_POINTS)


class DrsBody(_Body):
    on: bool
    percentile: float = Field(95.0, ge=1.0, le=99.9)


class LinkBody(_Body):
    follower: str = Field(max_length=64)
    follower_token: str = Field(max_length=128)


class SaveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, pattern=NAME_RE, max_length=64, description="default: the name it was saved or "
                             "resumed as, else <dataset>-<random>; letters, digits, '_', '-'")
    keep: bool | None = Field(None, description="true: the idle reaper saves it before ending it")


class SavedEntry(BaseModel):
    name: str
    kind: str
    dataset: str
    iteration: int
    saved_at: str = Field(description="UTC, ISO 8601")
    size: int = Field(description="bytes on disk")


class SaveReply(SavedEntry):
    keep: bool


class Skipped(BaseModel):
    file: str
    reason: str


class SavedList(BaseModel):
    saved: list[SavedEntry]
    skipped: list[Skipped] = Field(description="files in the save directory that are not "
                                   "readable GAN Dojo checkpoints (also logged as warnings)")
