"""The lesson file format (pydantic): lesson → steps → setup, highlight, question, checks, solution.

A lesson is one YAML file under `gandojo/lessons/` (id: the file name without `.yaml`), on one session
kind (engine/kinds.py). Every name in it (dataset, preset, knob, metric, config field of that kind) is
checked when it is loaded: a typo fails at start-up with the file, step and field named (LessonError).
The check models live in check_models.py (re-exported here)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, model_validator

from ...gan.config import deep_merge
from ...gan.presets import KNOBS, PRESETS
from ..kinds import KINDS
from .check_models import (ALARMS, ID, IMAGE_METRICS, METRICS, TAGS, AlarmCheck, Check,  # noqa: F401
                           CompareCheck, ConfigCheck, ExperimentCheck, ImageMetricCheck,
                           IterationCheck, MetricCheck, SameSeedCheck, Short, StagesCheck, Text,
                           _kind, _Strict)

LAYERS = ("real", "fake", "heatmap", "gradients", "manifold")
MAX_RUN = 20_000  # iterations one solution action may train


class LessonError(ValueError):
    """A lesson file that does not load; the message names the file, the step and the field."""


class SlowMo(_Strict):
    on: bool = True
    stage_ms: int | None = Field(None, ge=200, le=3000)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads an unquoted key `on` as the boolean true: take it as "on"."""
        if isinstance(data, dict) and True in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data


def _check_names(info: ValidationInfo | None, dataset: str | None, preset: str | None,
                 knob: str | None = None) -> None:
    """ValueError for a dataset not in the kind's catalogue (engine/kinds.py), or a preset or knob
    in a kind that has none (only 2D sessions have presets and knobs)."""
    kind, known = _kind(info), sorted(KINDS[_kind(info)].datasets)
    for name, v, table in (("dataset", dataset, known), ("preset", preset, PRESETS), ("knob", knob, KNOBS)):
        if v is not None and (kind != "2d" and name != "dataset" or v not in table):
            raise ValueError(f"{name} {v!r} is not one of the {kind} {name}s {sorted(table)}")


def _check_config(patch: dict[str, Any] | None, base: BaseModel | None, info: ValidationInfo) -> None:
    """A ValueError naming the config field when `patch` does not apply to `base` (None: the
    default config of the lesson's kind)."""
    if patch is None:
        return
    kind = KINDS[_kind(info)]
    base = base if base is not None else kind.default_config()
    try:
        kind.config_model.model_validate(deep_merge(base.model_dump(), patch))
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ValueError(f"config.{'.'.join(map(str, e['loc']))}: {e['msg']}") from None


class Setup(_Strict):
    """What entering the step does to the session (in this order: dataset/seed, preset, config,
    slow motion); `layers` are the page's layer toggles."""

    dataset: str | None = None
    preset: str | None = None
    config: dict[str, Any] | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    slowmo: SlowMo | None = None
    layers: dict[Literal[LAYERS], bool] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> "Setup":
        _check_names(info, self.dataset, self.preset)
        if self.preset is not None:
            ds = PRESETS[self.preset].datasets
            if self.dataset is not None and self.dataset not in ds:
                raise ValueError(f"preset {self.preset!r} is tuned for {list(ds)}, not {self.dataset!r}")
        _check_config(self.config, PRESETS[self.preset].config() if self.preset else None, info)
        return self


class Question(_Strict):
    """Multiple choice (`options` + the index of the right `answer`) or free text (`accept`: words
    any of which makes an answer right; none: any answer counts); `explanation` follows an answer."""

    prompt: Text
    kind: Literal["choice", "text"] = "choice"
    options: list[Short] = Field(default_factory=list, max_length=8)
    answer: int | None = Field(None, ge=0, le=7)
    accept: list[Short] = Field(default_factory=list, max_length=20)
    explanation: Text

    @model_validator(mode="after")
    def _shape(self) -> "Question":
        if self.kind == "choice":
            if len(self.options) < 2:
                raise ValueError("a choice question needs at least 2 options")
            if self.answer is None or self.answer >= len(self.options):
                raise ValueError(f"answer must be the index of one of the {len(self.options)} options")
        elif self.options or self.answer is not None:
            raise ValueError("a text question takes `accept`, not options/answer")
        return self


class Action(_Strict):
    """One thing a good student does; exactly one field is set."""

    run: int | None = Field(None, ge=1, le=MAX_RUN)  # train this many iterations (Run N)
    reset: bool | None = None  # start over from iteration 0, same seed
    seed: int | None = Field(None, ge=0, le=2**31 - 1)  # start over with this seed
    dataset: str | None = None
    preset: str | None = None
    knob: str | None = None
    config: dict[str, Any] | None = None
    slowmo: SlowMo | None = None
    step: int | None = Field(None, ge=1, le=20)  # presses of Step (slow motion: stage by stage)
    answer: int | str | None = None
    experiment: Literal[True] | None = None  # press Run experiment (image sessions; waits for it)

    @model_validator(mode="after")
    def _one(self, info: ValidationInfo) -> "Action":
        given = [k for k, v in self if v is not None]
        if len(given) != 1:
            raise ValueError(f"an action sets exactly one of {list(type(self).model_fields)}, "
                             f"not {given or 'none'}")
        _check_names(info, self.dataset, self.preset, self.knob)
        if self.slowmo is not None and _kind(info) != "2d":
            raise ValueError("slow motion is for 2D sessions")
        if self.experiment and _kind(info) != "image":
            raise ValueError("the retraining experiment is for image sessions")
        _check_config(self.config, None, info)
        return self


class Step(_Strict):
    title: Short
    text: Text  # Markdown
    setup: Setup | None = None
    highlight: list[Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]] = Field(default_factory=list)
    question: Question | None = None
    checks: list[Check] = Field(default_factory=list, max_length=10)
    solution: list[Action] = Field(default_factory=list, max_length=50)
    wrong: list[Action] | None = Field(None, max_length=50)  # a plausible mistake: must not pass
    budget: int = Field(2000, ge=0, le=100_000)  # iterations the solution (and the mistake) may train

    @model_validator(mode="after")
    def _consistent(self) -> "Step":
        ids = [c.id for c in self.checks]
        if len(set(ids)) != len(ids):
            raise ValueError(f"check ids repeat: {ids}")
        if not self.checks and self.question is None:
            raise ValueError("a step needs a question or at least one check")
        for name in ("solution", "wrong"):
            trained = sum(a.run or 0 for a in getattr(self, name) or [])
            if trained > self.budget:
                raise ValueError(f"the {name} trains {trained} iterations, over the budget {self.budget}")
        resets = self.setup is not None and (self.setup.dataset or self.setup.preset
                                               or self.setup.seed is not None)
        if self.wrong is not None and not resets:
            raise ValueError("a step with a `wrong` solution needs a setup that starts over "
                             "(dataset, preset or seed): the right one is played after it")
        if self.question is not None and not any(a.answer is not None for a in self.solution):
            raise ValueError("the solution must answer the step's question")
        return self


class Lesson(_Strict):
    id: Annotated[str, Field(pattern=ID)]
    title: Short
    level: Literal["beginner", "intermediate", "advanced"]
    summary: Text
    source: Short  # where in the course material it comes from
    kind: Literal["2d", "image"] = "2d"  # the session kind (engine/kinds.py) the lesson runs on
    cheap: bool = False  # checked in `make test` (else only by `gandojo lessons check`)
    steps: list[Step] = Field(min_length=1, max_length=40)

    def outline(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "level": self.level, "summary": self.summary,
                "source": self.source, "kind": self.kind, "steps": len(self.steps)}


def _where(loc: tuple) -> str:
    """'step 3, field checks.0.value' from a pydantic location ('steps', 2, 'checks', 0, 'metric',
    'value'): steps count from 1 and a check's union tag (its kind) is left out."""
    parts = [p for i, p in enumerate(loc)
             if not (i >= 2 and loc[i - 2] == "checks" and isinstance(loc[i - 1], int) and p in TAGS)]
    if len(parts) >= 2 and parts[0] == "steps" and isinstance(parts[1], int):
        rest = ".".join(map(str, parts[2:])) or "(the step)"
        return f"step {parts[1] + 1}, field {rest}"
    return f"field {'.'.join(map(str, parts)) or '(the lesson)'}"


def parse_lesson(text: str, name: str) -> Lesson:
    """The lesson in YAML `text` of file `name` (e.g. 'ganlab-sheet.yaml'); LessonError if bad."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LessonError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LessonError(f"{name}: a lesson file is a mapping (title, level, summary, steps)")
    stem = name.rsplit("/", 1)[-1].removesuffix(".yaml")
    if data.setdefault("id", stem) != stem:
        raise LessonError(f"{name}: field id: {data['id']!r} differs from the file name {stem!r}")
    kind = data.get("kind", "2d")
    try:
        return Lesson.model_validate(data, context={"kind": kind if kind in KINDS else "2d"})
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = re.sub(r"^Value error, ", "", first["msg"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise LessonError(f"{name}: {_where(first['loc'])}: {msg}{more}") from None


def load_dir(path: Path | None = None) -> dict[str, Lesson]:
    """Every `*.yaml` lesson under `path` (default: the built-in ones), by id, in file-name order."""
    root = path if path is not None else resources.files("gandojo") / "lessons"
    files = sorted((f for f in root.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return {(les := parse_lesson(f.read_text(encoding="utf-8"), f.name)).id: les for f in files}


_CATALOG: dict[str, Lesson] | None = None


def catalog() -> dict[str, Lesson]:
    """The built-in lessons, loaded (and validated) once."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = load_dir()
    return _CATALOG
