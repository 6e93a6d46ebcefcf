"""The session worker loop: runs queued commands, trains in chunks, paces frames, slow motion.

Nothing raised inside it ends the thread: a failing chunk or command pauses the session with the
reason (`BaseSession._fault`), its caller gets the error, and later commands are served as usual.

A mixin for Session, which provides the trainer, the command queue and the frame building.
"""

from __future__ import annotations

import queue
import time

import torch

from .frames import Frame
from .slowmo import StageRecorder


class CommandFailed(RuntimeError):
    """A command raised unexpectedly; the session paused and the message says why (API: 409)."""

MIDSTEP_SAFE = {"slowmo", "speed", "drs", "publish", "snapshot", "checkpoint"}
HOLD_COMMANDS = {"pause", "play"}  # run mid-stage in slow motion: pause holds the stage, play goes on


class WorkerLoop:
    """Owns the worker thread's control flow; everything here runs on that thread."""

    batcher = None  # engine/batcher.py's Batcher, set by the manager on 2D sessions (batching on)
    batch_group = 0  # members in this session's last batched chunk (0: it trained solo)
    compiler = None  # engine/compiler.py's StepCompiler, set by the manager on 2D sessions
    compiled = {"state": "eager", "compile_s": None, "reason": None}  # its status for this trainer
    budget = None  # engine/budget.py's FrameBudget, set by the manager: fewer frames under load
    _probed = None  # frame probes the batching group computed for this chunk (frames.build_frame)
    _frame_due: float | None = None  # when this session's next frame is due (None: no viewer)
    _group_published = False  # the batching group published this chunk's frame already
    _slow_steps = 0  # slow-motion iterations a Step asked for (played stage by stage while paused)
    _stage_frame = None  # the frame of the slow-motion stage on screen (shown again when paused)

    def _train_batched(self, next_frame: float) -> bool:
        """One chunk trained in this session's batching group; False: train solo instead."""
        ok = self.batcher is not None and self.follower is None and not self.slowmo
        self._frame_due = next_frame if self._fan else None  # the group probes frames due
        self.batch_group = self.batcher.train(self) if ok else 0
        return self.batch_group > 0

    def _run(self, item: tuple) -> None:
        name, fn, kwargs, fut = item
        if fut.set_running_or_notify_cancel():
            try:
                fut.set_result(fn(**kwargs))
            except (ValueError, LookupError) as exc:  # a refusal (bounds, names): the caller's
                fut.set_exception(exc)
            except Exception as exc:  # noqa: BLE001 - a failure: the session pauses with the
                fut.set_exception(CommandFailed(self._fault(exc, f"command {name!r}")))  # reason

    def _drain(self, block: bool) -> None:
        while self._deferred:
            self._run(self._deferred.popleft())
        try:
            item = self._cmds.get(timeout=0.5) if block else self._cmds.get_nowait()
        except queue.Empty:
            return
        while True:
            self._run(item)
            try:
                item = self._cmds.get_nowait()
            except queue.Empty:
                return

    def _loop(self) -> None:
        # OpenMP's thread count is per thread: re-apply the process setting here, or this thread
        # would reduce with a different split and lose bit-for-bit reproducibility
        torch.set_num_threads(torch.get_num_threads())
        next_frame = time.perf_counter()
        while not self._closed:
            try:
                self._drain(block=not self.running and not self._slow_steps)
                if self._closed:
                    continue
                if self.slowmo and self._slow_steps and not self.running:
                    self._slow_iteration()  # a Step: one iteration, stage by stage
                    continue
                self._slow_steps = 0
                if not self.running:
                    continue
                if self.slowmo:
                    self._slow_iteration()
                    continue
                next_frame = self._fast_chunk(next_frame)
            except Exception as exc:  # noqa: BLE001 - a dead worker would hang every later call
                self._fault(exc, "training")
            finally:
                self._probed = None  # a batch's frame probes describe the end of its chunk only

    def _swap_step(self) -> None:
        """Swap the compiled step in (or out, after a shape change) when due; say so."""
        status = self.compiler.attach(self.trainer)
        changed, self.compiled = status["state"] != self.compiled["state"], status
        if changed:
            self._broadcast({"type": "state", **self.state()})

    def _fast_chunk(self, next_frame: float) -> float:
        if self.compiler is not None:
            self._swap_step()
        t, ipf, now = self.trainer, self.iterations_per_frame, time.perf_counter()
        deadline = max(next_frame, now + 0.002) if self._fan or ipf else now + 0.05
        start, left = t.iteration, self._left()
        if ipf:  # a waiting command (pause, reset...) cuts the chunk short: it runs at once
            for _ in range(ipf if left is None else min(ipf, left)):
                t.iterate()
                if not self._cmds.empty():
                    break
        elif not self._train_batched(next_frame):  # the group caps the chunk at `until` too
            while (time.perf_counter() < deadline and self._cmds.empty()
                   and (left is None or t.iteration - start < left)):
                t.iterate()
        if not self._check_finite():
            return next_frame
        self._lockstep(t.iteration - start)
        self._update_rate()
        if self.until is not None and t.iteration >= self.until:
            self._stop_at_until()  # publishes the frame of iteration `until`
            return next_frame
        if ipf:  # pace: one frame's worth of iterations per frame interval
            while time.perf_counter() < deadline and self._cmds.empty():
                time.sleep(min(0.005, max(0.0, deadline - time.perf_counter())))
        now = time.perf_counter()
        if self._group_published or now >= next_frame:
            if not self._group_published:
                self._publish_frame()
            self._group_published = False
            next_frame = max(next_frame + self._frame_gap(), now)
        return next_frame

    def _publish_frame(self) -> None:
        """Publish a frame and tell the server-wide frame budget what it cost."""
        cpu = time.thread_time() - (self._probed["cpu_s"] if self._probed else 0.0)
        self._cmd_publish()
        if self.budget is not None and self._fan:
            self.budget.published(id(self), time.thread_time() - cpu)

    def _frame_gap(self) -> float:
        own = self.frame_interval
        return own if self.budget is None else self.budget.frame_interval(own)

    def _metrics_gap(self, own: float) -> float:
        """How long metrics may be reused: `own`, or longer when many sessions stream."""
        return own if self.budget is None else self.budget.metrics_interval(own)

    def _update_rate(self) -> None:
        t0, i0 = self._rate
        now, it = time.perf_counter(), self.trainer.iteration
        if now - t0 >= 0.5:
            self.its_per_sec = (it - i0) / (now - t0)
            self._rate = (now, it)

    def _slow_iteration(self) -> None:
        def publish(frame: Frame) -> None:
            self._stage_frame = frame
            self._publish(frame)

        rec = StageRecorder(self.trainer, self._build, publish, self._stage_wait)
        try:
            self.trainer.iterate(observe=rec)
        finally:
            self._stage_frame = None
        if not self.running:
            self._slow_steps = 0  # the Step asked for this iteration (or its rest): it is done
        self._lockstep(1)
        if self._check_finite():
            self._cmd_publish()
            self._stop_at_until()

    def _lockstep(self, n: int, part: str = "both") -> None:
        """Advance the follower by the same iterations (unlink it if it is gone)."""
        if self.follower is None or n <= 0:
            return
        try:
            self.follower.command("step", n=n, part=part).result(timeout=60)
        except Exception as exc:  # the follower ended or failed: stop following, say why
            self.follower = None
            self._broadcast({"type": "event", "event": "unlinked", "reason": str(exc)})

    def _holding(self) -> bool:
        """Paused in the middle of a slow-motion iteration (and no Step to finish it)."""
        return self.slowmo and not self.running and not self._slow_steps

    def _stage_wait(self) -> bool:
        """Wait one stage's duration, running harmless commands (stage duration, speed, DRS,
        snapshots) at once. Pause holds this stage until Play or Step (a Step plays the rest of
        the iteration stage by stage); False when another command arrived: finish it fast."""
        start = time.perf_counter()
        while self._holding() or (left := start + self.stage_ms / 1000.0 - time.perf_counter()) > 0:
            if self._closed or not self.slowmo:  # slow motion switched off: finish the iteration
                return False
            try:
                item = self._cmds.get_nowait()
            except queue.Empty:
                time.sleep(0.02 if self._holding() else min(0.02, left))
                continue
            if item[0] == "step" and self._holding() and self._steps_one_slow(item[2]):
                self._slow_steps = 1  # go on with this iteration, stage by stage, then stop
                if item[3].set_running_or_notify_cancel():
                    item[3].set_result(self._step_reply())
                start = time.perf_counter()
                continue
            if item[0] not in MIDSTEP_SAFE | HOLD_COMMANDS:
                self._deferred.append(item)
                return False
            held = self._holding()
            self._run(item)
            if held and not self._holding():
                start = time.perf_counter()  # play: this stage's time starts again
            elif self._holding() and self._stage_frame is not None:  # paused: the stage stays
                f = self._stage_frame
                self._publish(Frame({**f.header, "running": False}, f.sections))
        return True

    @staticmethod
    def _steps_one_slow(kwargs: dict) -> bool:
        """A Step that slow motion plays stage by stage: one whole iteration."""
        return kwargs.get("n", 1) == 1 and kwargs.get("part", "both") == "both"

    def _step_reply(self) -> dict:
        return {"iteration": self.trainer.iteration, "losses": self.trainer.losses(), "slowmo": True}
