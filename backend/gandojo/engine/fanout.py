"""Frame fan-out: subscribers get the newest encoded frame (never a backlog) and bounded text events."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable


class Subscriber:
    """A frame consumer: `notify` must be thread-safe; text messages wait in a bounded deque."""

    def __init__(self, notify: Callable[[], None], maxlen: int = 64) -> None:
        self.notify = notify
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
        with self._lock:
            self._subs.add(sub)

    def remove(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

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
