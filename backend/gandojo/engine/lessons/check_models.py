"""The lesson check models (pydantic): what a step's `checks` may ask of a live session.

Split from model.py (which re-exports every name here): a check has an id, the text the student
is asked to reach and a hint shown while it fails; its `kind` picks one of the models below.
Names in a check (metric, alarm, config path, mix) are validated against the lesson's session kind.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from ...gan.images.experiments import MIXES
from ...gan.trainer import STAGES
from ..history import METRIC_KEYS
from ..kinds import KINDS

ID = r"^[a-z0-9][a-z0-9-]{0,63}$"
METRICS = ("d_loss", "g_loss", *METRIC_KEYS)  # what a metric check may read (losses + frame metrics)
IMAGE_METRICS = ("fid", "inception_score", "precision", "recall", "classifier_accuracy")  # metrics job
DRS_METRICS = ("fid", "precision", "recall", "acceptance")  # the metrics job's DRS part
ALARMS = ("collapse", "dropping", "d-wins", "d-dead", "oscillation", "divergence")
REAL_PERCENTS = tuple(r for r, _ in MIXES)  # the retraining experiment's mixes, by real %
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Short = Annotated[str, Field(min_length=1, max_length=300)]
Op = Literal["<=", "<", ">=", ">"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _kind(info: ValidationInfo | None) -> str:
    """The lesson's session kind ("2d", "image"), handed down by parse_lesson (default "2d")."""
    return ((info.context if info is not None else None) or {}).get("kind", "2d")


def _image_only(info: ValidationInfo | None, what: str) -> None:
    if _kind(info) != "image":
        raise ValueError(f"an {what} check needs a lesson of kind image")


def _config_paths(patch: dict[str, Any] | None, node: dict[str, Any], where: str) -> None:
    """ValueError naming the first key of `patch` that is not a field of the config `node`."""
    for k, v in (patch or {}).items():
        if k not in node:
            raise ValueError(f"{where}.{k} is not a config field")
        if isinstance(v, dict):
            _config_paths(v, node[k] if isinstance(node[k], dict) else {}, f"{where}.{k}")


class _Check(_Strict):
    id: Annotated[str, Field(pattern=ID)]
    text: Short  # what the student is asked to reach
    hint: Short  # shown while it fails


class MetricCheck(_Check):
    """`metric op value`, held on every recorded point over `window` iterations (0: once), by
    iteration `within` of the run at the latest (None: any time)."""

    kind: Literal["metric"]
    metric: Literal[METRICS]  # type: ignore[valid-type]
    op: Op
    value: float = Field(allow_inf_nan=False)
    window: int = Field(0, ge=0, le=100_000)
    within: int | None = Field(None, ge=1, le=1_000_000)


class IterationCheck(_Check):
    """The session's iteration ≥ `at_least`."""

    kind: Literal["iteration"]
    at_least: int = Field(ge=1, le=1_000_000)


class SameSeedCheck(_Check):
    """Two runs from a reset with the same seed and settings reach `iteration` with the same
    `metric` (within `tolerance`: batched and solo training sum float32 in different orders)."""

    kind: Literal["same_seed"]
    iteration: int = Field(ge=1, le=100_000)
    metric: Literal[METRICS] = "js"  # type: ignore[valid-type]
    tolerance: float = Field(0.0, ge=0.0, le=1.0)


class CompareCheck(_Check):
    """Runs from a reset on one seed reach `iteration` with at least `distinct` values of the
    config field `field` (e.g. five losses side by side)."""

    kind: Literal["compare"]
    field: Literal["loss", "k_d", "batch_size", "pack", "unrolled_steps"]
    distinct: int = Field(ge=2, le=10)
    iteration: int = Field(ge=1, le=100_000)


class StagesCheck(_Check):
    """Every slow-motion stage (all of STAGES, or the listed indices) was shown."""

    kind: Literal["stages"]
    stages: list[Annotated[int, Field(ge=0, lt=len(STAGES))]] = Field(
        default_factory=lambda: list(range(len(STAGES))))


class AlarmCheck(_Check):
    """The collapse/failure alarm raised `alarm` (engine/alarm.py) during the step."""

    kind: Literal["alarm"]
    alarm: Literal[ALARMS]  # type: ignore[valid-type]


class ConfigCheck(_Check):
    """A config field (dotted path, e.g. `generator.lr`) equals `equals` (a list for a pair such
    as `generator.betas`)."""

    kind: Literal["config"]
    path: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")]
    equals: Any

    @model_validator(mode="after")
    def _path(self, info: ValidationInfo) -> "ConfigCheck":
        node: Any = KINDS[_kind(info)].default_config().model_dump()
        for part in self.path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"{self.path!r} is not a config field")
            node = node[part]
        return self


class ImageMetricCheck(_Check):
    """The image session's metrics job (image_session.start_metrics, `n` samples; FID on the own
    LeNet's features, cgan classifier accuracy, …) measured in the step gives `metric op value`.
    With `drs` the value is that of the DRS-filtered samples of the same job (fid, precision,
    recall, or the acceptance rate); with `versus_plain` as well, it is the DRS value minus the
    unfiltered one (`fid`, op `<`, value 0: DRS lowered the FID). With `with_config` (a patch-shaped
    subset of the config, e.g. `{generator: {activation: relu}}`) only a measurement started while
    the config had those values counts."""

    kind: Literal["image_metric"]
    metric: Literal[IMAGE_METRICS + ("acceptance",)]  # type: ignore[valid-type]
    op: Op
    value: float = Field(allow_inf_nan=False)
    n: int = Field(500, ge=100, le=5000)
    drs: bool = False
    versus_plain: bool = False
    with_config: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _image(self, info: ValidationInfo) -> "ImageMetricCheck":
        _image_only(info, "image_metric")
        if (self.drs or self.versus_plain) and self.metric not in DRS_METRICS:
            raise ValueError(f"DRS measures {list(DRS_METRICS)}, not {self.metric!r}")
        if self.metric == "acceptance" and (not self.drs or self.versus_plain):
            raise ValueError("acceptance is DRS's own number: drs true, versus_plain false")
        if self.versus_plain and not self.drs:
            raise ValueError("versus_plain compares the DRS value with the plain one: set drs")
        _config_paths(self.with_config, KINDS[_kind(info)].default_config().model_dump(), "with_config")
        return self


class ExperimentCheck(_Check):
    """The classifier-retraining experiment (image_session.start_experiment: a LeNet trained on
    each real/generated mix of at least `n_train` images, tested on real test images) run in the
    step gives the mix with `real_percent` % real images a test accuracy `op value`; with
    `versus` (another mix's real %) the value compared is the difference of the two accuracies.
    A solution's `experiment: true` action starts it with `n_train` and `epochs`."""

    kind: Literal["experiment"]
    real_percent: Literal[REAL_PERCENTS]  # type: ignore[valid-type]
    op: Op
    value: float = Field(ge=-1.0, le=1.0, allow_inf_nan=False)
    versus: Literal[REAL_PERCENTS] | None = None  # type: ignore[valid-type]
    n_train: int = Field(1000, ge=10, le=60_000)
    epochs: int | None = Field(None, ge=1, le=30)

    @model_validator(mode="after")
    def _image(self, info: ValidationInfo) -> "ExperimentCheck":
        _image_only(info, "experiment")
        if self.versus == self.real_percent:
            raise ValueError("versus must name another mix than real_percent")
        return self


Check = Annotated[Union[MetricCheck, IterationCheck, SameSeedCheck, CompareCheck, StagesCheck,
                        AlarmCheck, ConfigCheck, ImageMetricCheck, ExperimentCheck],
                  Field(discriminator="kind")]
TAGS = {"metric", "iteration", "same_seed", "compare", "stages", "alarm", "config", "image_metric",
        "experiment"}
