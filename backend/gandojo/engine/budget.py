"""A server-wide frame budget: under load, streaming sessions publish and refresh metrics less often.

Every frame a session publishes while playing costs CPU (about 1 ms for a 64² frame, several with
fresh metrics). With a hundred sessions at 30 frames/s that is more than the machine has, and
training would starve. The budget keeps the frame work of all sessions together at about `cores`
CPU cores: each of the n sessions that published lately gets a frame interval of at least
n · (mean frame cost) / cores, the same for everyone (fair), never shorter than its own interval.
Metrics (KL/JS, modes, D accuracy, gradient norms; the collapse alarm) are refreshed at most
`metrics_per_s` times a second server-wide, at least every METRICS_INTERVAL per session.
The frame format does not change; only how often frames and metrics are made.
"""

from __future__ import annotations

import threading
import time

ACTIVE_S = 1.0  # a session counts as streaming for this long after its last frame
EMA = 0.05  # weight of a new frame's cost in the running mean


class FrameBudget:
    """Shared by the sessions of one manager; every method is thread-safe and cheap."""

    def __init__(self, cores: float = 1.0, metrics_per_s: float = 50.0) -> None:
        self.cores, self.metrics_per_s = cores, metrics_per_s
        self.frame_cost = 0.001  # s of CPU per published frame (running mean, metrics included)
        self._seen: dict[int, float] = {}
        self._count = 0
        self._pruned = 0.0
        self._lock = threading.Lock()

    def streaming(self) -> int:
        """How many sessions published a frame in the last ACTIVE_S seconds."""
        return self._count

    def published(self, session_id: int, cpu_s: float) -> None:
        """Note a frame of `session_id` that cost `cpu_s` seconds of CPU."""
        now = time.monotonic()
        with self._lock:
            new = session_id not in self._seen
            self._seen[session_id] = now
            self.frame_cost += EMA * (min(cpu_s, 0.1) - self.frame_cost)
            if new or now - self._pruned > 0.25:
                self._seen = {k: t for k, t in self._seen.items() if now - t < ACTIVE_S}
                self._pruned = now
            self._count = len(self._seen)

    def frame_interval(self, own: float) -> float:
        """The interval between one session's frames: its own, or longer under load."""
        return max(own, self._count * self.frame_cost / self.cores)

    def metrics_interval(self, own: float) -> float:
        """How long one session's metrics may be reused: its own interval, or longer under load."""
        return max(own, self._count / self.metrics_per_s)
