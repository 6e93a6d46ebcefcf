"""Image-session frames: epoch accounting, the sample grid and interpolation as GDJ1 float32 sections.

The header carries iteration, epoch progress and timing, losses, D accuracy, per-epoch means, the
grid's layout and what the data is; the sections `samples` [N, 28, 28] and, when an interpolation is
set, `interpolation` [steps, 28, 28], values in [0, 1]. While training runs the pictures are
redrawn only when a `GridBudget` allows (a few % of the time); other frames reuse the last ones.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..fileio import png_bytes
from ..gan.images.sampling import grid_array
from ..gan.images.trainer import ImageTrainer
from .frames import Frame, finite
from .grid_budget import GridBudget

MAX_EPOCHS_SHOWN = 100
GRID_BUDGET = 0.03  # fraction of the training time the pictures may take while training runs
RATE_WINDOW_S = 0.5


class EpochTracker:
    """Epoch progress, training time per epoch, images/s and per-epoch means of losses / D accuracy.

    Only time spent in `train` counts (pauses do not); per-iteration stats are summed as tensors on
    the device (no sync per step) and read once at each epoch's end.
    """

    def __init__(self, trainer: ImageTrainer) -> None:
        self.records: deque[dict[str, Any]] = deque(maxlen=MAX_EPOCHS_SHOWN)
        self.last_seconds: float | None = None
        self.images_per_sec = 0.0
        self.restart(trainer)

    def restart(self, trainer: ImageTrainer) -> None:
        """Start counting afresh (new trainer, reset, rebuilt models): no records, no timing."""
        self.n = trainer.data.count
        self.records.clear()
        self.last_seconds, self.images_per_sec = None, 0.0
        self._begin_epoch(trainer)
        self.mark_rate(trainer)

    def _begin_epoch(self, trainer: ImageTrainer) -> None:
        self.target = (trainer.images_seen // self.n + 1) * self.n
        self.sums: torch.Tensor | None = None
        self.count, self.seconds = 0, 0.0

    def train(self, trainer: ImageTrainer, part: str = "both", n: int | None = None,
              until: float | None = None, keep_going=lambda: True) -> int:
        """n iterations, or iterations until perf_counter() passes `until`; either stops early
        when `keep_going()` turns False (a command is waiting)."""
        seg, done = time.perf_counter(), 0
        while ((done < n) if n is not None else time.perf_counter() < until) and keep_going():
            trainer.iterate(part)
            done += 1
            v = trainer.stat_tensors()
            if v is not None:
                self.sums = v if self.sums is None else self.sums + v
                self.count += 1
            if trainer.images_seen >= self.target:
                now = time.perf_counter()
                self.seconds += now - seg
                seg = now
                self._close_epoch(trainer)
        self.seconds += time.perf_counter() - seg
        return done

    def _close_epoch(self, trainer: ImageTrainer) -> None:
        means = [None] * 4 if self.sums is None else (self.sums[:4] / self.count).tolist()
        d, g, ra, fa = (finite(v) for v in means)
        self.last_seconds = round(self.seconds, 3)
        self.records.append({"epoch": trainer.images_seen // self.n, "d": d, "g": g,
                             "d_real_acc": ra, "d_fake_acc": fa, "seconds": round(self.seconds, 3)})
        self._begin_epoch(trainer)

    def mark_rate(self, trainer: ImageTrainer) -> None:
        self._rate = (time.perf_counter(), trainer.images_seen)

    def update_rate(self, trainer: ImageTrainer) -> None:
        t0, seen0 = self._rate
        now = time.perf_counter()
        if now - t0 >= RATE_WINDOW_S:
            self.images_per_sec = (trainer.images_seen - seen0) / (now - t0)
            self._rate = (now, trainer.images_seen)

    def header(self, trainer: ImageTrainer, running: bool) -> dict[str, Any]:
        seen, n = trainer.images_seen, self.n
        eta = (self.target - seen) / self.images_per_sec if running and self.images_per_sec > 0 else None
        return {"epoch": seen / n, "epoch_progress": (seen % n) / n,
                "epoch_seconds": self.last_seconds, "eta_seconds": finite(eta),
                "images_per_sec": round(self.images_per_sec, 1), "epochs": list(self.records)}


@dataclass
class Interpolation:
    a: int
    b: int
    steps: int


class GridView:
    """What the page looks at: the grid (all classes, or one picked class), an interpolation,
    and the last pictures drawn (reused between budgeted redraws)."""

    def __init__(self, max_fps: float) -> None:
        self.label: int | None = None
        self.interpolation: Interpolation | None = None
        self.budget = GridBudget(GRID_BUDGET, max_fps)
        self._cache: dict[str, np.ndarray] | None = None

    def invalidate(self) -> None:
        self._cache = None

    def size(self, trainer: ImageTrainer) -> int:
        """How many samples the grid shows now."""
        return trainer.grid_cols ** 2 if self.label is not None else trainer.fixed_z.shape[0]

    def grid(self, trainer: ImageTrainer):
        return trainer.sample_grid() if self.label is None else trainer.class_grid(self.label)

    def layout(self, trainer: ImageTrainer) -> dict[str, Any]:
        rows = trainer.grid_cols if self.label is not None else trainer.grid_rows
        labels = None
        if self.label is not None:
            labels = [self.label] * rows
        elif trainer.fixed_labels is not None:
            labels = trainer.fixed_labels[::trainer.grid_cols].tolist()
        return {"rows": rows, "cols": trainer.grid_cols, "labels": labels, "label": self.label}

    def sections(self, trainer: ImageTrainer, fresh: bool) -> dict[str, np.ndarray]:
        """The pictures: drawn anew when `fresh` or the budget allows, else the last ones."""
        if fresh or self._cache is None or self.budget.due():
            with self.budget.measure():
                out = {"samples": _np(self.grid(trainer).images)}
                ip = self.interpolation
                if ip is not None:
                    out["interpolation"] = _np(trainer.interpolate(ip.a, ip.b, ip.steps, label=self.label))
            self._cache = out
        return self._cache


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


def build_image_frame(trainer: ImageTrainer, tracker: EpochTracker, view: GridView, running: bool,
                      fresh: bool, extra: dict[str, Any] | None = None) -> Frame:
    """The frame of an image session now (pictures reused unless `fresh` or the budget allows)."""
    st = trainer.stats()
    data = trainer.data
    ip = view.interpolation
    header: dict[str, Any] = {
        "type": "frame", "kind": "image", "dataset": data.name, "iteration": trainer.iteration,
        **tracker.header(trainer, running), "running": running,
        "losses": {k: finite(v) for k, v in trainer.losses().items()},
        "metrics": {"d_real_acc": finite(st.d_real_acc), "d_fake_acc": finite(st.d_fake_acc)},
        "grid": view.layout(trainer),
        "interpolation": None if ip is None else {"a": ip.a, "b": ip.b, "steps": ip.steps},
        "data": {"name": data.name, "source": data.source, "count": data.count},
        "model": trainer.config.model,
    }
    header.update(extra or {})
    return Frame(header, dict(view.sections(trainer, fresh)))


def image_grid_png(frame: Frame, size: int = 512) -> bytes:
    """The sample grid of an image frame as a grayscale PNG, enlarged to about `size` pixels wide."""
    grid = grid_array(torch.from_numpy(np.array(frame.sections["samples"])), frame.header["grid"]["cols"])
    return png_bytes(grid, scale=max(1, size // grid.shape[1]))
