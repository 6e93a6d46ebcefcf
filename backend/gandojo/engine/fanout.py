"""Frame fan-out: subscribers get the newest encoded frame (never a backlog), bounded text events
and every reply to their own commands."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable


class Reply(dict):
    """A message answering the subscriber's own command: never dropped (its socket is bounded by
    backpressure instead: api/websocket.py reads no new command while replies wait)."""


class Subscriber:
    """A frame consumer: `notify` must be thread-safe. Text messages wait in one ordered deque:
    events (broadcasts) keep only the newest `maxlen`, replies (`reply`) are all kept."""

    def __init__(self, notify: Callable[[], None], maxlen: int = 64, viewer: bool = False) -> None:
        self.notify = notify
        self.viewer = viewer  # a read-only watcher (counted and announced as a viewer)
        self.maxlen = maxlen
        self.messages: deque[dict[str, Any]] = deque()
        self.sent_seq = 0
        self._events = 0  # how many of `messages` are events (not replies)
        self._lock = threading.Lock()

    def push(self, msg: dict[str, Any]) -> None:
        """Queue an event; past `maxlen` waiting events the oldest event is dropped."""
        with self._lock:
            self.messages.append(msg)
            self._events += 1
            if self._events > self.maxlen:
                for i, m in enumerate(self.messages):
                    if not isinstance(m, Reply):
                        del self.messages[i]
                        break
                self._events -= 1

    def reply(self, msg: dict[str, Any]) -> None:
        """Queue an answer to this subscriber's own command (never dropped)."""
        with self._lock:
            self.messages.append(Reply(msg))

    def pop(self) -> dict[str, Any] | None:
        """The oldest waiting message, or None."""
        with self._lock:
            if not self.messages:
                return None
            msg = self.messages.popleft()
            if not isinstance(msg, Reply):
                self._events -= 1
            return msg

    @property
    def replies_waiting(self) -> int:
        with self._lock:
            return len(self.messages) - self._events


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
            sub.push(msg)  # goes out with the first frame

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
            s.push(msg)
            s.notify()


class Watched:
    """What a session (local, or its proxy in cluster/) answers about its watchers from `_fan`."""

    _fan: FanOut

    @property
    def subscriber_count(self) -> int:
        return len(self._fan)

    @property
    def streaming(self) -> bool:
        """Somebody watches its frames."""
        return bool(self._fan)

    def latest(self) -> tuple[int, bytes] | None:
        """(sequence number, encoded frame) of the newest frame, if any."""
        return self._fan.latest()
