"""The session worker: one thread per session whose loop alone decides the order of the work:

    drain commands -> train a chunk -> build a frame when one is due -> publish

Each session kind is the worker's `Runner` (engine/session.py, engine/image_session.py): it trains,
checks, builds and publishes when asked; the worker decides when. Its dependencies (the batcher,
the frame budget) come in through the constructor. Nothing raised inside the loop ends the thread:
a failing chunk or command pauses the session with the reason (`Runner.fault`), its caller gets
the error, and later commands are served as usual. The worker is also the session's member of a
batching group (engine/batcher.py): the "member interface" below is all the batcher uses.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable, Protocol

import torch

if TYPE_CHECKING:
    from .batcher import Batcher
    from .budget import FrameBudget


class CommandFailed(RuntimeError):
    """A command raised unexpectedly; the session paused and the message says why (API: 409)."""


MIDSTEP_SAFE = {"slowmo", "speed", "drs", "publish", "snapshot", "checkpoint"}
HOLD_COMMANDS = {"pause", "play"}  # run mid-stage in slow motion: pause holds the stage, play goes on
Item = tuple  # (name, bound handler, kwargs, Future)


class Runner(Protocol):
    """What a session kind gives its worker (attributes are read at every chunk)."""

    trainer: Any
    running: bool
    slowmo: bool
    stage_ms: int
    iterations_per_frame: int  # 0: as fast as it goes
    frame_interval: float  # its own cadence (s); the frame budget may lengthen it

    @property
    def streaming(self) -> bool: ...  # somebody watches its frames

    def prepare_chunk(self) -> None: ...  # e.g. swap the compiled step in

    def batch_key(self) -> Any: ...  # the batcher's key, None: trains solo

    def probe_noise(self, n: int) -> Any: ...  # its display noise (batchable kinds only)

    def train(self, n: int | None, until: float, keep_going: Callable[[], bool],
              left: int | None) -> None: ...  # n iterations, or until `until`; at most `left`

    def iterations_left(self) -> int | None: ...  # before `until` (None: no end set)

    def check_finite(self) -> bool: ...  # False: it paused (diverged)

    def trained(self, n: int) -> None: ...  # after a chunk of n iterations (lockstep, rates)

    def stop_at_until(self) -> bool: ...  # True: it paused at `until`

    def publish(self) -> None: ...  # build a frame and fan it out (no exception escapes)

    def slow_iteration(self, wait: Callable[[], bool]) -> None: ...  # stage by stage (2D)

    def steps_one_slow(self, kwargs: dict) -> bool: ...

    def step_reply(self) -> dict: ...

    def show_held_stage(self) -> None: ...  # paused mid-iteration: the stage's frame again

    def fault(self, exc: Exception, where: str) -> str: ...


class Worker:
    """The thread, command queue and loop of one session (see the module docstring)."""

    def __init__(self, runner: Runner, name: str, budget: "FrameBudget | None" = None,
                 batcher: "Batcher | None" = None) -> None:
        self.runner, self.name = runner, name
        self.budget, self.batcher = budget, batcher
        self.cmds: queue.SimpleQueue = queue.SimpleQueue()
        self.deferred: deque = deque()  # commands that arrived mid-iteration in slow motion
        self.closed = False
        self.slow_steps = 0  # slow-motion iterations a Step asked for (played while paused)
        self.next_frame = time.perf_counter()
        self.batch_group = 0  # members in the last batched chunk (0: it trained solo)
        self.probed: dict | None = None  # frame probes its batching group computed this chunk
        self.frame_due: float | None = None  # when its next frame is due (None: no viewer)
        self.group_published = False  # the group published this chunk's frame already
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def put(self, item: Item) -> None:
        self.cmds.put(item)

    def idle(self) -> bool:
        """No command waits (training may go on)."""
        return self.cmds.empty()

    def take(self) -> Item | None:
        """The next queued or deferred command, if any (the session's close fails them)."""
        try:
            return self.deferred.popleft() if self.deferred else self.cmds.get_nowait()
        except queue.Empty:
            return None

    def stop(self) -> None:
        if not self.closed:
            self.closed = True
            self.cmds.put(("close", lambda: None, {}, Future()))

    # ------------------------------------------------------------ the loop
    def _loop(self) -> None:
        # OpenMP's thread count is per thread: re-apply the process setting here, or this thread
        # would reduce with a different split and lose bit-for-bit reproducibility
        torch.set_num_threads(torch.get_num_threads())
        r = self.runner
        while not self.closed:
            try:
                self._drain(block=not r.running and not self.slow_steps)
                if self.closed:
                    continue
                if r.slowmo and self.slow_steps and not r.running:
                    self._slow_iteration()  # a Step: one iteration, stage by stage
                    continue
                self.slow_steps = 0
                if r.running:
                    self._slow_iteration() if r.slowmo else self._fast_chunk()
            except Exception as exc:  # noqa: BLE001 - a dead worker would hang every later call
                r.fault(exc, "training")
            finally:
                self.probed = None  # a batch's frame probes describe the end of its chunk only

    def run(self, item: Item) -> None:
        name, fn, kwargs, fut = item
        if fut.set_running_or_notify_cancel():
            try:
                fut.set_result(fn(**kwargs))
            except (ValueError, LookupError) as exc:  # a refusal (bounds, names): the caller's
                fut.set_exception(exc)
            except Exception as exc:  # noqa: BLE001 - a failure: the session pauses with the
                fut.set_exception(CommandFailed(self.runner.fault(exc, f"command {name!r}")))

    def _drain(self, block: bool) -> None:
        while self.deferred and not self.closed:
            self.run(self.deferred.popleft())
        try:
            item = self.cmds.get(timeout=0.5) if block else self.cmds.get_nowait()
        except queue.Empty:
            return
        while True:
            if self.closed:  # ended meanwhile: the session's close fails what is queued, never runs it
                self.deferred.appendleft(item)
                return
            self.run(item)
            try:
                item = self.cmds.get_nowait()
            except queue.Empty:
                return

    def _fast_chunk(self) -> None:
        r, nf = self.runner, self.next_frame
        r.prepare_chunk()
        ipf, now = r.iterations_per_frame, time.perf_counter()
        deadline = max(nf, now + 0.002) if r.streaming or ipf else now + 0.05
        start, left = r.trainer.iteration, r.iterations_left()
        if ipf:  # a waiting command (pause, reset...) cuts the chunk short: it runs at once
            r.train(ipf if left is None else min(ipf, left), deadline, self.idle, left)
        elif not self._train_batched():  # the group caps the chunk at `until` too
            r.train(None, deadline, self.idle, left)
        if not r.check_finite():
            return
        r.trained(r.trainer.iteration - start)
        if r.stop_at_until():  # published the frame of iteration `until`
            return
        if ipf:  # pace: one frame's worth of iterations per frame interval
            while time.perf_counter() < deadline and self.idle():
                time.sleep(min(0.005, max(0.0, deadline - time.perf_counter())))
        now = time.perf_counter()
        if self.group_published or now >= nf:
            if not self.group_published:
                self.publish()
            self.group_published = False
            self.next_frame = max(nf + self.frame_gap(), now)

    def _train_batched(self) -> bool:
        """One chunk trained in this session's batching group; False: train solo instead."""
        key = None if self.batcher is None else self.runner.batch_key()
        self.frame_due = self.next_frame if self.runner.streaming else None  # probed when due
        self.batch_group = self.batcher.train(self, key) if key is not None else 0
        return self.batch_group > 0

    def publish(self) -> None:
        """Publish a frame and tell the server-wide frame budget what it cost."""
        cpu = time.thread_time() - (self.probed["cpu_s"] if self.probed else 0.0)
        self.runner.publish()
        if self.budget is not None and self.runner.streaming:
            self.budget.published(id(self), time.thread_time() - cpu)

    def frame_gap(self) -> float:
        own = self.runner.frame_interval
        return own if self.budget is None else self.budget.frame_interval(own)

    def metrics_gap(self, own: float) -> float:
        """How long metrics may be reused: `own`, or longer when many sessions stream."""
        return own if self.budget is None else self.budget.metrics_interval(own)

    # ------------------------------------------------------------ member of a batching group
    @property
    def trainer(self) -> Any:
        return self.runner.trainer

    def iterations_left(self) -> int | None:
        return self.runner.iterations_left()

    def frame_is_due(self, now: float) -> bool:
        return self.frame_due is not None and self.frame_due <= now

    def probe_noise(self, n: int) -> Any:
        """The first n of its fixed display noise (the fakes its frames show)."""
        return self.runner.probe_noise(n)

    def take_probes(self, probed: dict) -> None:
        """The frame probes the group computed for this member (its next frame uses them)."""
        self.probed = probed

    def publish_probed(self) -> None:
        """Publish the frame of the probes taken (on the group's thread, while this worker waits)."""
        self.publish()
        self.probed, self.group_published = None, True

    # ------------------------------------------------------------ slow motion
    def _slow_iteration(self) -> None:
        self.runner.slow_iteration(self._stage_wait)
        if not self.runner.running:
            self.slow_steps = 0  # the Step asked for this iteration (or its rest): it is done

    def _holding(self) -> bool:
        """Paused in the middle of a slow-motion iteration (and no Step to finish it)."""
        r = self.runner
        return r.slowmo and not r.running and not self.slow_steps

    def _stage_wait(self) -> bool:
        """Wait one stage's duration, running harmless commands (stage duration, speed, DRS,
        snapshots) at once. Pause holds this stage until Play or Step (a Step plays the rest of
        the iteration stage by stage); False when another command arrived: finish it fast."""
        r, start = self.runner, time.perf_counter()
        while self._holding() or (left := start + r.stage_ms / 1000.0 - time.perf_counter()) > 0:
            if self.closed or not r.slowmo:  # slow motion switched off: finish the iteration
                return False
            try:
                item = self.cmds.get_nowait()
            except queue.Empty:
                time.sleep(0.02 if self._holding() else min(0.02, left))
                continue
            if item[0] == "step" and self._holding() and r.steps_one_slow(item[2]):
                self.slow_steps = 1  # go on with this iteration, stage by stage, then stop
                if item[3].set_running_or_notify_cancel():
                    item[3].set_result(r.step_reply())
                start = time.perf_counter()
                continue
            if item[0] not in MIDSTEP_SAFE | HOLD_COMMANDS:
                self.deferred.append(item)
                return False
            held = self._holding()
            self.run(item)
            if held and not self._holding():
                start = time.perf_counter()  # play: this stage's time starts again
            elif self._holding():  # paused: the stage stays on screen
                r.show_held_stage()
        return True
