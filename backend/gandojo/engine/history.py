"""A session's compact metric history (losses and metrics per iteration, decimated to a bounded
size), sent to a socket that joins so that its charts start at iteration 0, not at the join."""

from __future__ import annotations

import threading
from typing import Any

MAX_POINTS = 2000  # past this, every other point goes (the whole run stays, coarser)
METRIC_KEYS = ("kl", "js", "modes_captured", "high_quality", "d_real_acc", "d_fake_acc",
               "d_real_mean", "d_fake_mean", "d_grad_norm", "g_grad_norm")


class MetricHistory:
    """Columns of (iteration, D loss, G loss, metrics...) of the frames a session built."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.max_points = max_points
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.iterations: list[int] = []
            self.columns: dict[str, list] = {k: [] for k in ("d", "g", *METRIC_KEYS)}
            self.stride, self._skipped = 1, 0

    def record(self, header: dict[str, Any]) -> None:
        """One frame's header: kept when its iteration is new (and by the stride once decimated)."""
        it = header.get("iteration")
        if not isinstance(it, int) or header.get("stage") or (self.iterations and it <= self.iterations[-1]):
            return
        with self._lock:
            self._skipped += 1
            if self._skipped < self.stride:
                return
            self._skipped = 0
            losses, metrics = header.get("losses") or {}, header.get("metrics") or {}
            self.iterations.append(it)
            for k, col in self.columns.items():
                col.append(losses.get(k) if k in ("d", "g") else metrics.get(k))
            if len(self.iterations) > self.max_points:
                self.iterations = self.iterations[::2]
                self.columns = {k: v[::2] for k, v in self.columns.items()}
                self.stride *= 2

    def message(self) -> dict[str, Any]:
        """{"type": "history", "iteration": [...], "losses": {"d", "g"}, "metrics": {key: [...]}}
        (null where a value was missing or not finite)."""
        with self._lock:
            cols = {k: list(v) for k, v in self.columns.items()}
            return {"type": "history", "iteration": list(self.iterations),
                    "losses": {"d": cols.pop("d"), "g": cols.pop("g")}, "metrics": cols}
