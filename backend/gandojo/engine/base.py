"""What every live session shares: the worker thread's command queue, futures, frame fan-out, control.

Everything that touches the trainer runs on the session's worker thread, so there is no lock
around the model: REST and websocket handlers `command(...)` and get a concurrent Future back.
Subscribers only ever see the newest frame (no queue of frames grows for a slow client).
Subclasses (2D `Session`, `ImageSession`) provide `info`, `state`, `hello` and `_build`.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import Any

import numpy as np

from .fanout import FanOut, Subscriber
from .frames import Frame
from .limits import Limits, check_steps
from .loop import WorkerLoop

log = logging.getLogger("gandojo.session")


class CommandUnavailable(ValueError):
    """A command this kind of session does not have (e.g. slow motion on an image session)."""


class SessionEnded(RuntimeError):
    """A command for a session that was deleted or reaped meanwhile (the API answers 410)."""


READ_ONLY = {"snapshot", "publish", "checkpoint"}  # commands that are not activity (idle reaper)


class InputError(ValueError):
    """A command argument out of its bounds; `field` names it (the API answers 422 / an error message)."""

    def __init__(self, field: str, msg: str) -> None:
        self.field = field
        super().__init__(f"{field}: {msg}")


class BaseSession(WorkerLoop):
    """Id, token, command queue, play/pause/speed, fan-out; the subclass starts the thread (`_start`)."""

    kind = "base"
    limits = Limits()  # the server's, set by the manager
    viewer_token: str | None = None  # watches, never controls (presenter mode); set by the manager
    slowmo = False
    follower = None
    keep = False  # the idle reaper saves it to the store (engine/store.py) before ending it
    saved_as: str | None = None  # the name it was last saved or resumed as
    save_owner: str | None = None  # owner hash of a saved entry it may replace (resumed by its owner)
    _last_finite: Frame | None = None  # the last frame built while the losses were finite
    owner: str | None = None  # the client address that created it (counted per client)
    until: int | None = None  # play stops at this iteration exactly (None: plays on)

    def __init__(self, sid: str, token: str, trainer: Any, fps: int, max_fps: int) -> None:
        self.id, self.token = sid, token
        self.trainer = trainer
        self.running = False
        self.iterations_per_frame = 0  # 0 = as fast as it goes
        self.paused_reason: str | None = None
        self.frame_interval = 1.0 / max(1, min(fps, max_fps))
        self.last_active = time.monotonic()
        self._cmds: queue.SimpleQueue = queue.SimpleQueue()
        self._deferred: deque = deque()  # commands that arrived mid-iteration in slow motion
        self._fan = FanOut()
        self._closed = False
        self._ended = False  # set (under _ending) once close() has failed what was left queued
        self._ending = threading.Lock()
        self._rate = (time.perf_counter(), 0)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"session-{self.id}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ thread-safe API
    def command(self, name: str, /, **kwargs: Any) -> Future:
        """Queue `name` (play, pause, step, reset, config, speed, snapshot, ...) for the worker."""
        fn = getattr(self, f"_cmd_{name}", None)
        if fn is None:  # the API answers 409 (REST) or an error message (websocket)
            raise CommandUnavailable(f"command {name!r} is not available in {self.kind} sessions")
        fut: Future = Future()
        if name not in READ_ONLY:  # reads (snapshots, checkpoints, a new viewer) keep nothing alive
            self.last_active = time.monotonic()
        with self._ending:
            if self._ended:  # close() failed what was queued; nothing would run this either
                fut.set_exception(SessionEnded(f"session {self.id} has ended"))
            else:
                self._cmds.put((name, fn, kwargs, fut))
        return fut

    def subscribe(self, sub: Subscriber) -> None:
        self._fan.add(sub)
        self.command("publish")

    def unsubscribe(self, sub: Subscriber) -> None:
        self._fan.remove(sub)
        if not sub.viewer:  # the controlling page left: the idle clocks start from now
            self.last_active = time.monotonic()

    @property
    def subscriber_count(self) -> int:
        return len(self._fan)

    def latest(self) -> tuple[int, bytes] | None:
        """(sequence number, encoded frame) of the newest frame, if any."""
        return self._fan.latest()

    def info(self) -> dict[str, Any]:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def hello(self) -> dict[str, Any]:
        """The fields of the websocket's first message (besides type and writable)."""
        return self.info()

    def request_close(self) -> None:
        """Tell the worker to stop after what it is doing (returns at once; `close` waits)."""
        if not self._closed:
            self._closed = True
            self._cmds.put(("close", lambda: None, {}, Future()))

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self.request_close()
        self._thread.join(timeout=5)
        # the sockets still watching say so and close (code 4404): viewers learn it at once
        self._fan.broadcast({"type": "ended", "detail": f"session {self.id} has ended"})
        with self._ending:  # nobody will run what is still queued: fail it, never leave it hanging
            self._ended = True
            while True:
                try:
                    *_, fut = self._deferred.popleft() if self._deferred else self._cmds.get_nowait()
                except queue.Empty:
                    break
                if fut.set_running_or_notify_cancel():
                    fut.set_exception(SessionEnded(f"session {self.id} has ended"))

    # ------------------------------------------------------------ commands (worker thread)
    def _cmd_play(self, until: int | None = None) -> dict:
        if until is not None and until <= self.trainer.iteration:
            raise InputError("until", f"{until} is not after the current iteration {self.trainer.iteration}")
        self.running, self.paused_reason, self.until = True, None, until
        self._rate = (time.perf_counter(), self.trainer.iteration)
        return self._changed_state()

    def _cmd_pause(self, reason: str | None = None) -> dict:
        self.running, self.paused_reason, self.until = False, reason, None
        return self._changed_state()

    def _cmd_speed(self, iterations_per_frame: int) -> dict:
        check_steps(self.limits, iterations_per_frame, "iterations_per_frame")  # LimitError
        self.iterations_per_frame = iterations_per_frame
        return self._changed_state()

    def _cmd_snapshot(self) -> Frame:
        return self._build()

    def _cmd_publish(self) -> None:
        """Publish a frame to the watchers; a frame that cannot be built pauses the session (the
        command that changed something still answers)."""
        if self._fan:
            try:
                self._publish(self._finite_frame())
            except Exception as exc:  # noqa: BLE001 - see _fault
                self._fault(exc, "building a frame")

    def _finite_frame(self) -> Frame:
        """A new frame, or when its arrays are not finite (a diverging model) the last finite
        frame again with the current state: watchers never get all-NaN sections."""
        frame = self._build()
        if all(np.isfinite(v).all() for v in frame.sections.values()):
            self._last_finite = frame
            return frame
        last = self._last_finite
        if last is None:
            return frame
        header = {**last.header, "running": self.running, "paused_reason": self.paused_reason,
                  "diverged_at": self.trainer.iteration}
        return Frame(header, last.sections)

    # ------------------------------------------------------------ internals
    def _build(self, extra: dict[str, Any] | None = None) -> Frame:
        raise NotImplementedError

    def _publish(self, frame: Frame) -> None:
        self._fan.publish(frame.encode())

    def _broadcast(self, msg: dict[str, Any]) -> None:
        self._fan.broadcast(msg)

    def _changed_state(self) -> dict:
        msg = {"type": "state", **self.state()}
        self._broadcast(msg)
        self._cmd_publish()
        return msg

    def _fault(self, exc: Exception, where: str) -> str:
        """Pause after an unexpected error (like the NaN guard) and tell every socket why; the
        reason is returned. Never raises, so the worker thread lives on."""
        log.error("session %s: %s failed", self.id, where, exc_info=exc)
        self.running = False
        self.paused_reason = (f"paused: {where} failed ({type(exc).__name__}: {str(exc)[:200]}); "
                              "reset, or change the settings, to go on")
        try:
            self._broadcast({"type": "state", **self.state()})
            self._broadcast({"type": "event", "event": "error", "reason": self.paused_reason})
        except Exception:  # noqa: BLE001 - state() itself failed: the log has it
            log.exception("session %s: could not report the failure", self.id)
        return self.paused_reason

    def _left(self) -> int | None:
        """Iterations left before `until` (None: no end set)."""
        return None if self.until is None else max(0, self.until - self.trainer.iteration)

    def _stop_at_until(self) -> None:
        """Pause once `until` is reached (the state and a frame of that iteration go out)."""
        if self.until is not None and self.trainer.iteration >= self.until:
            self._cmd_pause()

    def _check_finite(self) -> bool:
        for part, value in self.trainer.losses().items():
            if value is not None and not math.isfinite(value):
                self._cmd_pause(f"{part.upper()} loss became {value} at iteration "
                                f"{self.trainer.iteration}: training diverged; lower the learning "
                                "rate or reset")
                return False
        reason = self._diverged()
        if reason:  # e.g. exploding gradient norms seen by the 2D alarm (engine/alarm.py)
            self._cmd_pause(reason)
            return False
        return True

    def _diverged(self) -> str | None:
        """Why training diverged although the losses are finite, or None (sessions override)."""
        return None
