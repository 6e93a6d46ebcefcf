"""What every live session shares: identity, the command table, futures, frame fan-out, control.

Everything that touches the trainer runs on the session's worker thread (engine/worker.py), so there
is no lock around the model: REST and websocket handlers `command(...)` and get a concurrent Future
back. Commands dispatch through one table per session class (`handlers`), built from the methods
marked `@handles(<command model>)` (engine/commands.py); a kind without a command answers
`CommandUnavailable`. Subscribers only ever see the newest frame (no queue grows for a slow client).
Subclasses (2D `Session`, `ImageSession`) provide `info`, `state`, `_build` and the rest of the
worker's `Runner` interface.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .commands import handles, handler_table
from .fanout import FanOut, Subscriber, Watched
from .frames import Frame
from .limits import Limits, check_steps
from .worker import CommandFailed, Worker

if TYPE_CHECKING:
    from .batcher import Batcher
    from .budget import FrameBudget
    from .compiler import StepCompiler
    from .jobs import JobRegistry

__all__ = ["BaseSession", "CommandFailed", "CommandUnavailable", "InputError", "SessionDeps",
           "SessionEnded", "handles"]
log = logging.getLogger("gandojo.session")


class CommandUnavailable(ValueError):
    """A command this kind of session does not have (e.g. slow motion on an image session)."""


class SessionEnded(RuntimeError):
    """A command for a session that was deleted or reaped meanwhile (the API answers 410)."""


READ_ONLY = {"snapshot", "publish", "checkpoint"}
_SERIALS = itertools.count(1)  # commands that are not activity (idle reaper)


class InputError(ValueError):
    """A command argument out of its bounds; `field` names it (the API answers 422 / an error message)."""

    def __init__(self, field: str, msg: str) -> None:
        self.field = field
        super().__init__(f"{field}: {msg}")


@dataclass(frozen=True)
class SessionDeps:
    """What a session is given by its manager (defaults: a standalone session, as in tests)."""

    limits: Limits = Limits()
    fps: int | None = None  # frames per second it aims at (None: its kind's maximum)
    budget: "FrameBudget | None" = None  # fewer frames when many stream (engine/budget.py)
    batcher: "Batcher | None" = None  # trains compatible 2D sessions as one (engine/batcher.py)
    compiler: "StepCompiler | None" = None  # compiled 2D steps (engine/compiler.py)
    jobs: "JobRegistry | None" = None  # background jobs of image sessions
    data_root: Any = None  # image data directory (None: the default)
    owner: str | None = None  # the client address that created it (counted per client)
    viewer_token: str | None = None  # watches, never controls (presenter mode)


class BaseSession(Watched):
    """Id, token, command table, play/pause/speed, fan-out; the subclass starts the worker (`_start`)."""

    kind = "base"
    max_fps = 30
    handlers: dict[str, str] = {}  # command name -> method name (built from @handles below)
    slowmo = False
    stage_ms = 800
    follower = None
    keep = False  # the idle reaper saves it to the store (engine/store.py) before ending it
    saved_as: str | None = None  # the name it was last saved or resumed as
    save_owner: str | None = None  # owner hash of a saved entry it may replace (resumed by its owner)
    until: int | None = None  # play stops at this iteration exactly (None: plays on)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = handler_table(cls)

    def __init__(self, sid: str, token: str, trainer: Any, fps: int | None,
                 deps: SessionDeps | None = None) -> None:
        deps = deps or SessionDeps()
        fps = fps if deps.fps is None else deps.fps
        self.id, self.token, self.deps = sid, token, deps
        self.limits, self.owner, self.viewer_token = deps.limits, deps.owner, deps.viewer_token
        self.trainer = trainer
        self.running = False
        self.iterations_per_frame = 0  # 0 = as fast as it goes
        self.paused_reason: str | None = None
        self.frame_interval = 1.0 / max(1, min(fps or self.max_fps, self.max_fps))
        self.last_active = time.monotonic()
        self._fan = FanOut()
        self._last_finite: Frame | None = None  # the last frame built while the losses were finite
        self._ended = False  # set (under _ending) once close() has failed what was left queued
        self._ending = threading.Lock()
        self._rate = (time.perf_counter(), 0)
        self.worker: Worker | None = None

    def _start(self, budget: "FrameBudget | None" = None, batcher: "Batcher | None" = None) -> None:
        self.worker = Worker(self, f"session-{self.id}", budget, batcher)
        self.worker.start()

    # ------------------------------------------------------------ thread-safe API
    def command(self, name: str, /, **kwargs: Any) -> Future:
        """Queue `name` (play, pause, step, reset, config, speed, snapshot, ...) for the worker."""
        method = self.handlers.get(name)
        if method is None:  # the API answers 409 (REST) or an error message (websocket)
            raise CommandUnavailable(f"command {name!r} is not available in {self.kind} sessions")
        fut: Future = Future()
        if name not in READ_ONLY:  # reads (snapshots, checkpoints, a new viewer) keep nothing alive
            self.last_active = time.monotonic()
        with self._ending:
            if self._ended:  # close() failed what was queued; nothing would run this either
                fut.set_exception(SessionEnded(f"session {self.id} has ended"))
            else:
                self.worker.put((name, getattr(self, method), kwargs, fut))
        return fut

    def send(self, cmd: Any) -> Future:
        """Queue a validated command model (engine/commands.py): its fields become the handler's
        arguments (`Cmd.arguments`), e.g. ConfigCmd.config -> `_cmd_config(patch=...)`."""
        return self.command(cmd.cmd, **cmd.arguments())

    def subscribe(self, sub: Subscriber) -> None:
        self._fan.add(sub)
        self.command("publish")

    def unsubscribe(self, sub: Subscriber) -> None:
        self._fan.remove(sub)
        if not sub.viewer:  # the controlling page left: the idle clocks start from now
            self.last_active = time.monotonic()

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    @property
    def trainer_serial(self) -> int:
        """Which trainer it runs (a new one, after a reset or a new dataset, gets a new number)."""
        t = self.trainer
        if getattr(t, "gandojo_serial", None) is None:
            t.gandojo_serial = next(_SERIALS)
        return t.gandojo_serial


    @property
    def batch_group(self) -> int:
        """Members of its last batched chunk (0: it trained solo)."""
        return self.worker.batch_group if self.worker is not None else 0

    def info(self) -> dict[str, Any]:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def hello(self) -> dict[str, Any]:
        """The fields of the websocket's first message (besides type and writable)."""
        return self.info()

    def request_close(self) -> None:
        """Tell the worker to stop after what it is doing (returns at once; `close` waits)."""
        self.worker.stop()

    @property
    def closed(self) -> bool:
        return self.worker.closed

    def close(self) -> None:
        self.request_close()
        self.worker.thread.join(timeout=5)
        # the sockets still watching say so and close (code 4404): viewers learn it at once
        self._fan.broadcast({"type": "ended", "detail": f"session {self.id} has ended"})
        with self._ending:  # nobody will run what is still queued: fail it, never leave it hanging
            self._ended = True
            while (item := self.worker.take()) is not None:
                fut = item[3]
                if fut.set_running_or_notify_cancel():
                    fut.set_exception(SessionEnded(f"session {self.id} has ended"))

    # ------------------------------------------------------------ commands (worker thread)
    @handles("play")
    def _cmd_play(self, until: int | None = None) -> dict:
        if until is not None and until <= self.trainer.iteration:
            raise InputError("until", f"{until} is not after the current iteration {self.trainer.iteration}")
        self.running, self.paused_reason, self.until = True, None, until
        self._rate = (time.perf_counter(), self.trainer.iteration)
        return self._changed_state()

    @handles("pause")
    def _cmd_pause(self, reason: str | None = None) -> dict:
        self.running, self.paused_reason, self.until = False, reason, None
        return self._changed_state()

    @handles("speed")
    def _cmd_speed(self, iterations_per_frame: int) -> dict:
        check_steps(self.limits, iterations_per_frame, "iterations_per_frame")  # LimitError
        self.iterations_per_frame = iterations_per_frame
        return self._changed_state()

    @handles("snapshot")
    def _cmd_snapshot(self) -> Frame:
        return self._build()

    @handles("publish")
    def _cmd_publish(self) -> None:
        """Publish a frame to the watchers; a frame that cannot be built pauses the session (the
        command that changed something still answers)."""
        if self._fan:
            try:
                self._publish(self._finite_frame())
            except Exception as exc:  # noqa: BLE001 - see fault
                self.fault(exc, "building a frame")

    def publish(self) -> None:  # the worker's Runner.publish
        self._cmd_publish()

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

    def fault(self, exc: Exception, where: str) -> str:
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

    def iterations_left(self) -> int | None:
        """Iterations left before `until` (None: no end set)."""
        return None if self.until is None else max(0, self.until - self.trainer.iteration)

    def stop_at_until(self) -> bool:
        """Pause once `until` is reached (the state and a frame of that iteration go out)."""
        if self.until is not None and self.trainer.iteration >= self.until:
            self._cmd_pause()
            return True
        return False

    def check_finite(self) -> bool:
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

    # ------------------------------------------------------------ the rest of the worker's Runner
    def prepare_chunk(self) -> None:
        """Before each chunk (2D: swap the compiled step in)."""

    def batch_key(self) -> Any:
        """Who it may share a batched chunk with (None: it trains solo)."""
        return None

    def train(self, n: int | None, until: float, keep_going: Callable[[], bool],
              left: int | None) -> None:
        raise NotImplementedError

    def trained(self, n: int) -> None:
        """After a chunk of n iterations."""

    def slow_iteration(self, wait: Callable[[], bool]) -> None:
        raise CommandUnavailable(f"slow motion is not available in {self.kind} sessions")

    @staticmethod
    def steps_one_slow(kwargs: dict) -> bool:
        """A Step that slow motion plays stage by stage: one whole iteration."""
        return kwargs.get("n", 1) == 1 and kwargs.get("part", "both") == "both"

    def step_reply(self) -> dict:
        return {"iteration": self.trainer.iteration, "losses": self.trainer.losses(), "slowmo": True}

    def show_held_stage(self) -> None:
        """Paused mid-iteration in slow motion: the stage's frame again (2D)."""
