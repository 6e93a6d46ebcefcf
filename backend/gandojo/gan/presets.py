"""Named starting configurations per dataset (a registry; the collapse lab adds more)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import GanConfig, deep_merge
from .datasets import DATASETS


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    explanation: str
    patch: dict[str, Any] = field(default_factory=dict)
    datasets: tuple[str, ...] = tuple(DATASETS)

    def config(self) -> GanConfig:
        return GanConfig.model_validate(deep_merge(GanConfig().model_dump(), self.patch))


PRESETS: dict[str, Preset] = {
    "ganlab-default": Preset(
        "ganlab-default", "GAN Lab's defaults",
        "1 hidden layer of 8 ReLU neurons in G and D, SGD with lr 0.03 (G) / 0.1 (D), kD = 2, "
        "batch 150, non-saturating loss: what GAN Lab starts with."),
}
