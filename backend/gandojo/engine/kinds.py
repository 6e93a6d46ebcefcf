"""The session-kind registry: one entry per kind ("2d", "image") naming everything that differs.

The manager (create, load, resume), rendering and the API consult `KINDS` / `kind_for_dataset`
instead of branching on the kind; a new kind is one entry here plus its own modules (config model,
trainer, session, frame builder, checkpoint). `Kind.describe()` is what the page is served through
`GET /api/datasets` (plain JSON).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel

from ..datasets.images import load_split
from ..gan.config import GanConfig
from ..gan.datasets import get_dataset
from ..gan.images.config import MODELS as IMAGE_MODELS
from ..gan.images.config import ImageGanConfig, default_image_config
from ..gan.images.trainer import ImageTrainer
from ..gan.presets import KNOBS, PRESETS
from ..gan.trainer import Trainer2D
from . import checkpoint, image_checkpoint
from .base import BaseSession, SessionDeps
from .catalogue import CATALOGUES, dataset_kind
from .commands import COMMAND_NAMES
from .frames import build_frame
from .image_frames import build_image_frame
from .image_session import ImageSession
from .limits import Limits, check, check_2d, n_params
from .plot2d import render_2d_png
from .image_frames import image_grid_png
from .session import Session

Root = str | os.PathLike | None


@dataclass(frozen=True)
class Kind:
    """What one session kind is made of; every field is read by code, none is documentation only."""

    name: str
    title: str
    config_model: type[BaseModel]
    default_config: Callable[[], BaseModel]
    datasets: dict[str, Any]  # the catalogue: name -> dataset spec (gan/datasets, datasets/images)
    trainer_class: type
    new_trainer: Callable[[str, Any, int, str, Root], Any]  # (dataset, config, seed, device, root)
    session_class: type[BaseSession]
    frame_builder: Callable[..., Any]  # engine/frames.build_frame, image_frames.build_image_frame
    render_png: Callable[[Any, int], bytes]  # a frame of this kind as PNG (snapshot.png)
    checkpoint_format: str  # safetensors metadata "format" of its checkpoints
    to_checkpoint: Callable[[Any], bytes]
    from_checkpoint: Callable[[bytes, str, Root], Any]  # (bytes, device, data root) -> trainer
    check_config: Callable[[Limits, Any], None]  # LimitError before anything is built
    check_trainer: Callable[[Limits, Any], None]  # LimitError for a built (or loaded) trainer
    toggles: tuple[str, ...] = ()  # what the page may switch on and off in this kind's view
    extras: dict[str, Any] = field(default_factory=dict)  # kind-specific lists for the page

    def session(self, sid: str, token: str, trainer: Any, deps: SessionDeps) -> BaseSession:
        return self.session_class(sid, token, trainer, deps=deps)

    def describe(self) -> dict[str, Any]:
        """The page's view of this kind (JSON): its datasets, defaults, commands and toggles."""
        return {"kind": self.name, "title": self.title, "datasets": list(self.datasets),
                "default_dataset": next(iter(self.datasets)),
                "default_config": self.default_config().model_dump(),
                "commands": sorted(COMMAND_NAMES & set(self.session_class.handlers)),
                "max_fps": self.session_class.max_fps, "toggles": list(self.toggles),
                "checkpoint_format": self.checkpoint_format, **self.extras}


def _trainer_2d(dataset: str, config: GanConfig, seed: int, device: str, root: Root) -> Trainer2D:
    return Trainer2D(get_dataset(dataset), config, seed, device)


def _trainer_image(dataset: str, config: ImageGanConfig, seed: int, device: str,
                   root: Root) -> ImageTrainer:
    return ImageTrainer(load_split(dataset, "train", root), config, seed, device)


def _check_image_trainer(limits: Limits, t: ImageTrainer) -> None:
    check(limits, batch_size=t.config.batch_size, params=n_params(t.G) + n_params(t.D))


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("2d", "2D distributions", GanConfig, GanConfig, CATALOGUES["2d"], Trainer2D, _trainer_2d,
         Session, build_frame, render_2d_png, checkpoint.FORMAT, checkpoint.to_bytes,
         lambda data, device, root: checkpoint.from_bytes(data, device),
         check_2d, lambda limits, t: check_2d(limits, t.config),
         toggles=("real", "fake", "heatmap", "gradients", "manifold"),
         extras={"presets": list(PRESETS), "knobs": list(KNOBS)}),
    Kind("image", "Images (MNIST, Fashion-MNIST)", ImageGanConfig, default_image_config,
         CATALOGUES["image"], ImageTrainer, _trainer_image, ImageSession, build_image_frame,
         image_grid_png, image_checkpoint.FORMAT, image_checkpoint.to_bytes,
         lambda data, device, root: checkpoint.image_from_bytes(data, root, device),
         lambda limits, c: check(limits, batch_size=c.batch_size), _check_image_trainer,
         toggles=("interpolation", "class picker"), extras={"models": list(IMAGE_MODELS)}),
)}


def kind_for_dataset(name: str) -> Kind:
    """The kind that trains dataset `name` (KeyError naming the known datasets otherwise)."""
    kind = dataset_kind(name)
    if kind is None:
        known = ", ".join(n for k in KINDS.values() for n in k.datasets)
        raise KeyError(f"unknown dataset {name!r} (known: {known})")
    return KINDS[kind]


def kind_of_trainer(trainer: Any) -> Kind:
    """The kind whose trainer class `trainer` is (TypeError otherwise)."""
    for kind in KINDS.values():
        if isinstance(trainer, kind.trainer_class):
            return kind
    raise TypeError(f"no session kind trains a {type(trainer).__name__}")


def kind_of_checkpoint(meta: dict[str, str]) -> Kind:
    """The kind a checkpoint's metadata names (its `kind`; 2D files before kinds existed say none)."""
    return KINDS.get(meta.get("kind", "2d"), KINDS["2d"])


def catalogue() -> dict[str, Any]:
    """Every kind's description and which kind each dataset belongs to (GET /api/datasets)."""
    return {"kinds": {k.name: k.describe() for k in KINDS.values()},
            "dataset_kinds": {n: k.name for k in KINDS.values() for n in k.datasets}}
