"""Frame fan-out: subscribers get the newest encoded frame (never a backlog) and bounded text events."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable


class Subscriber:
    """A frame consumer: `notify` must be thread-safe; text messages wait in a bounded deque."""

    def __init__(self, notify: Callable[[], None], maxlen: int = 64, viewer: bool = False) -> None:
        self.notify = notify
        self.viewer = viewer  # a read-only watcher (counted and announced as a viewer)
        self.messages: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self.sent_seq = 0


class FanOut:
    """Holds the newest frame (sequence number + bytes) and wakes every subscriber on news."""

    def __init__(self) -> None:
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._latest: tuple[int, bytes] | None = None
        self._seq = 0

    def add(self, sub: Subscriber) -> None:
        """Subscribe; a new viewer is announced to all, anyone else hears the count so far."""
        with self._lock:
            self._subs.add(sub)
        msg = {"type": "viewers", "count": self.viewers}
        if sub.viewer:
            self.broadcast(msg)
        else:
            sub.messages.append(msg)  # goes out with the first frame

    def remove(self, sub: Subscriber) -> None:
        with self._lock:
            present = sub in self._subs
            self._subs.discard(sub)
        if present and sub.viewer:
            self.broadcast({"type": "viewers", "count": self.viewers})

    @property
    def viewers(self) -> int:
        """How many read-only subscribers watch."""
        with self._lock:
            return sum(1 for s in self._subs if s.viewer)

    def __len__(self) -> int:
        return len(self._subs)

    def latest(self) -> tuple[int, bytes] | None:
        return self._latest

    def publish(self, data: bytes) -> None:
        with self._lock:
            self._seq += 1
            self._latest = (self._seq, data)
            subs = list(self._subs)
        for s in subs:
            s.notify()

    def broadcast(self, msg: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs)
        for s in subs:
            s.messages.append(msg)
            s.notify()
