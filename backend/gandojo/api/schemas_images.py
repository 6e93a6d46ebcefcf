"""Request bodies and websocket commands of image sessions, with bounds; errors name the field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..datasets.images import DATASETS as IMAGE_DATASETS
from ..gan.datasets import DATASETS

IMAGE_DATASET_NAMES: tuple[str, ...] = tuple(IMAGE_DATASETS)
MAX_GRID_INDEX = 127  # the largest grid (cgan) has 80 samples; the session checks the exact size


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InterpolateBody(_Body):
    a: int | None = Field(..., ge=0, le=MAX_GRID_INDEX, description="grid index; null clears")
    b: int = Field(0, ge=0, le=MAX_GRID_INDEX)
    steps: int = Field(10, ge=2, le=32)


class GridBody(_Body):
    label: int | None = Field(..., ge=0, le=9, description="cgan class picker; null: all classes")


class InterpolateCmd(InterpolateBody):
    cmd: Literal["interpolate"]


class GridCmd(GridBody):
    cmd: Literal["grid"]


class MetricsBody(_Body):
    n: int = Field(2000, ge=500, le=10_000, description="generated samples (as many real ones)")
    drs: bool = Field(False, description="also measure after discriminator rejection sampling")


class ExperimentBody(_Body):
    real: int | None = Field(None, ge=10, le=60_000,
                             description="training images per mix (default min(10,000, the split))")
    generated: int | None = Field(None, ge=10, le=60_000,
                                  description="generated images of the 0/100 mix (= real: every "
                                              "mix has the same size)")
    epochs: int | None = Field(None, ge=1, le=30, description="classifier epochs per mix")


ExportFormat = Literal["npz", "png"]


def kind_of(dataset: str) -> str:
    return "image" if dataset in IMAGE_DATASETS else "2d"


def reset_kind_error(session_kind: str, dataset: str | None) -> str | None:
    """Why resetting a session of `session_kind` onto `dataset` is refused (None: allowed)."""
    if dataset is None or kind_of(dataset) == session_kind:
        return None
    names = IMAGE_DATASET_NAMES if session_kind == "image" else tuple(DATASETS)
    kinds = {"image": "an image", "2d": "a 2D"}
    return (f"{dataset!r} is {kinds[kind_of(dataset)]} dataset but this is {kinds[session_kind]} "
            f"session (its datasets: {', '.join(names)}); create a new session to switch kinds")


def experiment_size(body: ExperimentBody) -> dict[str, Any]:
    """n_train of the experiment; a `generated` different from `real` is an error naming it."""
    if body.real is not None and body.generated is not None and body.real != body.generated:
        raise ValueError("generated: must equal real (every mix holds the same number of images)")
    return {"n_train": body.real or body.generated, "epochs": body.epochs}
