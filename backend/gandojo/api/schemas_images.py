"""Request bodies of image sessions' own routes (jobs, export), with bounds; errors name the field.

Interpolation and the class picker are commands: their bodies live with the others in
engine/commands.py (`InterpolateBody`, `GridBody`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class ExportQuery(BaseModel):
    """The export's query string (GET /api/sessions/{id}/export?n=...&format=...)."""

    n: int = Field(10_000, ge=1, le=10_000, description="fresh samples to export")
    format: ExportFormat = Field("npz", description="npz (uint8 images, cgan labels) or a PNG grid")



def experiment_size(body: ExperimentBody) -> dict[str, Any]:
    """n_train of the experiment; a `generated` different from `real` is an error naming it."""
    if body.real is not None and body.generated is not None and body.real != body.generated:
        raise ValueError("generated: must equal real (every mix holds the same number of images)")
    return {"n_train": body.real or body.generated, "epochs": body.epochs}
