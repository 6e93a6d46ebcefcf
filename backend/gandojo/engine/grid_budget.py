"""Display pacing of image sessions: `GridBudget` throttles sample-grid rendering while training runs."""

from __future__ import annotations

import time
from contextlib import contextmanager


class GridBudget:
    """Throttles sample-grid rendering while training runs, so frames cost ≤ `fraction` of the time.

    `due()` says whether a new grid may be drawn now; wrap the drawing in `measure()`. A grid that
    took c seconds is followed by at least c / fraction seconds without one (and never more often
    than `max_fps`). On one CPU thread a DCGAN grid takes ~12 ms, so at 3 % it refreshes about
    2-3 times a second; an MLP grid (~2 ms) about 16 times; on a GPU every frame.
    """

    def __init__(self, fraction: float = 0.03, max_fps: float = 30.0) -> None:
        self.fraction, self.min_interval = fraction, 1.0 / max_fps
        self._next = 0.0

    def due(self, now: float | None = None) -> bool:
        return (time.perf_counter() if now is None else now) >= self._next

    @contextmanager
    def measure(self):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            t1 = time.perf_counter()
            self._next = t1 + max(self.min_interval, (t1 - t0) / self.fraction)
