"""Pretrained starting points (like GAN Lab's): converged checkpoints shipped with the package."""

from __future__ import annotations

from pathlib import Path

import torch

from ..fileio import atomic_write
from ..gan.config import GanConfig
from ..gan.datasets import get_dataset
from ..gan.trainer import Trainer2D
from . import checkpoint

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"


def pretrained_path(dataset: str) -> Path:
    return PRETRAINED_DIR / f"{dataset}.safetensors"


def available() -> list[str]:
    """Datasets that have a shipped pretrained checkpoint."""
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.safetensors"))


def load(dataset: str, device: str | torch.device = "cpu") -> Trainer2D:
    """The shipped converged state for `dataset` (FileNotFoundError names what exists)."""
    path = pretrained_path(dataset)
    if not path.is_file():
        raise FileNotFoundError(f"no pretrained model for {dataset!r}; there are: "
                                f"{', '.join(available()) or 'none'} (make them: gandojo pretrain)")
    return checkpoint.from_bytes(path.read_bytes(), device)


def make(dataset: str, config: GanConfig, iterations: int, seed: int = 0) -> Trainer2D:
    """Train `config` on `dataset` for `iterations` and write the result atomically."""
    t = Trainer2D(get_dataset(dataset), config, seed)
    for _ in range(iterations):
        t.iterate()
    atomic_write(pretrained_path(dataset), checkpoint.to_bytes(t))
    return t
