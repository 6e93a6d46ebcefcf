"""Slow motion: watch one iteration stage by stage, a frame per stage with that stage's batch."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ..gan.probes import DisplayScale
from ..gan.trainer import STAGES, Trainer2D
from .frames import Frame, finite

BATCH_CAP = 1000  # stage points drawn at most
_EMPTY = {"stage_real": (0, 2), "stage_fake": (0, 2), "stage_d_real": (0,),
          "stage_d_fake": (0,), "stage_grad": (0, 2)}


def _detail(index: int, t: Trainer2D, v: dict[str, Any]) -> str:
    cfg, b = t.config, t.config.batch_size
    net = cfg.discriminator if index < 6 else cfg.generator
    texts = {
        0: f"Draw {b} real samples and {b} noise vectors z ({cfg.noise.distribution}, dim {cfg.noise.dim}).",
        1: f"The generator turns the {b} noise vectors into {b} fake samples.",
        2: "D scores the batch: mean D(real) = {d_real_mean:.3f}, mean D(fake) = {d_fake_mean:.3f}.",
        3: f"Discriminator loss ({cfg.loss}) = {{d_loss:.4f}}.",
        4: "Backpropagate the D loss: gradient norm over D's weights = {d_grad_norm:.4f}.",
        5: f"{net.optimizer.upper()} step on D (lr {net.lr:g}): the heatmap moves.",
        6: f"Draw {b} fresh noise vectors for the generator step.",
        7: "D scores the new fakes: mean D(fake) = {d_fake_mean:.3f}.",
        8: f"Generator loss ({cfg.loss}) = {{g_loss:.4f}}.",
        9: "Backpropagate through D into G: arrows show where each fake should move "
           "(G gradient norm {g_grad_norm:.4f}).",
        10: f"{net.optimizer.upper()} step on G (lr {net.lr:g}): the fakes move.",
    }
    try:
        return texts[index].format(**v)
    except (KeyError, ValueError, TypeError):
        return texts[index].split(":")[0] + "."


def _cpu(x: torch.Tensor) -> np.ndarray:
    return x.detach()[:BATCH_CAP].cpu().numpy().astype(np.float32).reshape(min(len(x), BATCH_CAP), -1)


class StageRecorder:
    """An `observe` hook for Trainer2D.iterate: publishes a frame per stage, then waits."""

    def __init__(self, trainer: Trainer2D, build: Callable[[dict], Frame],
                 publish: Callable[[Frame], None], wait: Callable[[], bool]) -> None:
        self.t, self.build, self.publish, self.wait = trainer, build, publish, wait
        self.hurry = False  # set once a wait was interrupted: finish the iteration without waiting
        self.batch: dict[str, np.ndarray] = {}
        self.values: dict[str, Any] = {}
        self.counts = {"d": 0, "g": 0}

    def __call__(self, index: int, **data: Any) -> None:
        part = "d" if index < 6 else "g"
        if index in (0, 6):
            self.batch, self.values = {}, {}
            self.counts[part] += 1
        self._collect(data, part)
        if self.hurry:
            return
        frame = self.build({"stage": self._stage(index, part)})
        for name, shape in _EMPTY.items():
            frame.sections[name] = self.batch.get(name, np.zeros(shape, np.float32))
        self.publish(frame)
        self.hurry = not self.wait()

    def _collect(self, data: dict[str, Any], part: str) -> None:
        for key, name in (("real", "stage_real"), ("fake", "stage_fake")):
            if key in data:
                self.batch[name] = _cpu(data[key])
        for key in ("d_real", "d_fake"):
            if key in data:
                self.batch[f"stage_{key}"] = _cpu(data[key]).reshape(-1)
                self.values[f"{key}_mean"] = float(data[key].detach().mean())
        if "fake_grad" in data:
            g = data["fake_grad"].detach()[:BATCH_CAP]
            self.batch["stage_grad"] = _cpu(g * DisplayScale().factor(g, self.t.dataset.view))
        if "loss" in data:
            self.values[f"{part}_loss"] = float(data["loss"].detach())
        if "grad_norm" in data:
            self.values[f"{part}_grad_norm"] = data["grad_norm"]

    def _stage(self, index: int, part: str) -> dict[str, Any]:
        k = self.t.config.k_d if part == "d" else self.t.config.k_g
        return {"index": index, "name": STAGES[index], "part": part, "step": self.counts[part],
                "of": k, "detail": _detail(index, self.t, self.values),
                "values": {k2: finite(v) for k2, v in self.values.items()}}
