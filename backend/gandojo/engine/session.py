"""A 2D training session: its commands, frames, slow motion, and the worker's Runner interface.

Everything that touches the trainer runs on the session's worker thread (engine/worker.py), so
there is no lock around the model: REST and websocket handlers `command(...)` and get a concurrent
Future back. Subscribers only ever see the newest frame (no queue of frames grows for a slow client).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import torch

from ..gan.config import merged_config
from ..gan.datasets import CUSTOM, Dataset2D, get_dataset, points_dataset
from ..gan.presets import KNOBS, PRESETS, knob_states
from ..gan.batched import compat_key
from ..gan.trainer import Part, Trainer2D
from . import checkpoint
from .alarm import CollapseAlarm
from .base import BaseSession, InputError, SessionDeps, handles
from .catalogue import reset_kind_error
from .frames import Frame, ProbeSet, build_frame
from .slowmo import StageRecorder
from .history import MetricHistory
from .limits import check_2d, check_steps

MAX_FPS = 30
METRICS_INTERVAL = 0.1  # s: while training flat out, metrics refresh ~10×/s; frames at up to 30


class Session(BaseSession):
    """Model, optimizers, RNG, iteration counter, cadence and frame fan-out of one 2D GAN."""

    kind = "2d"
    max_fps = MAX_FPS
    compiled = {"state": "eager", "compile_s": None, "reason": None}  # its step (engine/compiler.py)

    def __init__(self, sid: str, token: str, trainer: Trainer2D, fps: int = MAX_FPS, *,
                 deps: SessionDeps | None = None) -> None:
        super().__init__(sid, token, trainer, fps, deps)
        self.compiler = self.deps.compiler
        self.probe_set = ProbeSet(trainer)
        self.alarm = CollapseAlarm()
        self.history = MetricHistory()  # what a joining socket's charts start from
        self.drs_percentile: float | None = None  # None: rejection sampling off
        self.follower: Session | None = None  # stepped in lockstep with this one
        self.preset: str | None = None  # the last preset applied (edits may have followed)
        self.slowmo = False
        self.stage_ms = 800
        self.its_per_sec = 0.0
        self._metrics: dict[str, Any] | None = None
        self._metrics_at = 0.0
        self._alarm: dict[str, Any] | None = None
        self._stage_frame: Frame | None = None  # the slow-motion stage on screen (shown when held)
        self._start(self.deps.budget, self.deps.batcher)

    # ------------------------------------------------------------ thread-safe API
    def info(self) -> dict[str, Any]:
        t = self.trainer
        return {"id": self.id, "kind": "2d", "dataset": t.dataset.name, "seed": t.seed,
                "iteration": t.iteration, "running": self.running, "config": t.config.model_dump(),
                "knobs": knob_states(t.config), "preset": self.preset, "keep": self.keep, "saved_as": self.saved_as,
                **self.state()}

    def state(self) -> dict[str, Any]:
        return {"slowmo": self.slowmo, "stage_ms": self.stage_ms, "running": self.running,
                "until": self.until, "iteration": self.trainer.iteration,
                "iterations_per_frame": self.iterations_per_frame,
                "paused_reason": self.paused_reason,
                "drs": {"on": self.drs_percentile is not None,
                        "percentile": self.drs_percentile or 95.0},
                "follower": self.follower.id if self.follower else None,
                "viewers": self._fan.viewers,
                # trained in a batch of compatible sessions (engine/batcher.py), and its size
                "batched": self.running and self.batch_group > 0,
                "batch_group": self.batch_group if self.running else 0,
                # the training step: compiled / compiling / eager / failed / off (engine/compiler.py)
                "compiled": self.compiled}

    def view(self) -> dict[str, list[float]]:
        (x0, x1), (y0, y1) = self.trainer.dataset.view
        return {"x": [x0, x1], "y": [y0, y1]}

    def subscribe(self, sub) -> None:
        """A joining socket first gets the run's metric history (its charts start at iteration 0)."""
        msg = self.history.message()
        getattr(sub, "push", sub.messages.append)(msg)
        super().subscribe(sub)

    def hello(self) -> dict[str, Any]:
        return {"view": self.view(), "modes_total": self.trainer.dataset.modes_total, **self.info()}

    # ------------------------------------------------------------ commands (worker thread)
    @handles("step")
    def _cmd_step(self, n: int = 1, part: Part = "both") -> dict:
        check_steps(self.limits, n)
        if self.slowmo and not self.running and self.steps_one_slow({"n": n, "part": part}):
            self.worker.slow_steps = 1  # the worker plays it stage by stage; answers at once
            return self.step_reply()
        for _ in range(n):
            self.trainer.iterate(part)
        self.check_finite()
        self._lockstep(n, part)
        self._cmd_publish()
        return {"iteration": self.trainer.iteration, "losses": self.trainer.losses()}

    @handles("reset")
    def _cmd_reset(self, dataset: str | Dataset2D | None = None, seed: int | None = None) -> dict:
        if isinstance(dataset, str) and (why := reset_kind_error(self.kind, dataset)) is not None:
            raise InputError("dataset", why)
        t = self.trainer
        if dataset is None or dataset == t.dataset.name:
            dataset = t.dataset
        elif isinstance(dataset, str):
            dataset = get_dataset(dataset)
        self._install(Trainer2D(dataset, t.config, t.seed if seed is None else seed, t.device))
        return self.info()

    @handles("points")
    def _cmd_points(self, points: list, source: str = "drawn") -> dict:
        """Train on example points (drawn in the page or uploaded as CSV) from iteration 0."""
        if source not in CUSTOM:
            raise ValueError(f"source must be one of {CUSTOM}")
        return self._cmd_reset(points_dataset(torch.tensor(points, dtype=torch.float32), source))

    @handles("preset")
    def _cmd_preset(self, name: str) -> dict:
        """Start over with preset `name` (on its dataset when it is tuned for a single one)."""
        preset = PRESETS[name]  # KeyError for an unknown name
        config = preset.config()
        check_2d(self.limits, config)
        t = self.trainer
        dataset = t.dataset if t.dataset.name in preset.datasets else get_dataset(preset.datasets[0])
        self._install(Trainer2D(dataset, config, t.seed, t.device))
        self.preset = name
        self._broadcast({"type": "config", "config": config.model_dump(), "rebuilt": True,
                         "preset": name, "knobs": knob_states(config)})
        return self.info()

    @handles("knob")
    def _cmd_knob(self, name: str) -> dict:
        """Pull one live knob (KeyError for an unknown one)."""
        knob = KNOBS[name]
        return self._cmd_config(knob.patch(self.trainer.config), knob.note)

    @handles("drs")
    def _cmd_drs(self, on: bool, percentile: float = 95.0) -> dict:
        self.drs_percentile = percentile if on else None
        self.probe_set.drs_max = None
        return self._changed_state()

    @handles("link")
    def _cmd_link(self, follower: "Session | None") -> dict:
        """Step `follower` in lockstep with this session (None unlinks)."""
        if follower is self or (follower is not None and follower.follower is not None):
            raise ValueError("a session cannot follow itself or a session that leads another")
        if follower is not None and follower.kind != self.kind:
            raise ValueError(f"a {self.kind} session cannot lead a {follower.kind} session")
        self.follower = follower
        if follower is not None:
            follower.command("pause").result(10)
            follower.command("reset", seed=self.trainer.seed).result(10)
            self._cmd_reset()
        return self._changed_state()

    @handles("checkpoint")
    def _cmd_checkpoint(self) -> bytes:
        return checkpoint.to_bytes(self.trainer)

    def _install(self, trainer: Trainer2D) -> None:
        """Switch to a new trainer (reset, new dataset, loaded checkpoint) and tell everyone."""
        self.trainer = trainer
        self.probe_set = ProbeSet(trainer)
        self.alarm.reset()
        self.history.clear()
        self.until = None
        self._metrics_at = 0.0
        self.paused_reason = None
        self._rate = (time.perf_counter(), trainer.iteration)
        self._broadcast({"type": "reset", "modes_total": trainer.dataset.modes_total,
                         "view": self.view(), **self.info()})
        self._cmd_publish()

    def _diverged(self) -> str | None:
        """The divergence alarm's whole reason (exploding gradients); the loop then pauses."""
        a = self._alarm
        if a and a.get("kind") == "divergence" and self.alarm.diverged and self.running:
            return f"{a['message']} {a['cause']}"
        return None

    @handles("config")
    def _cmd_config(self, patch: dict[str, Any], message: str | None = None) -> dict:
        new = merged_config(self.trainer.config, patch)  # raises pydantic.ValidationError
        check_2d(self.limits, new)  # raises LimitError
        rebuilt = self.trainer.apply_config(new)
        if rebuilt or self.probe_set.key != (self.trainer.dataset.name, self.trainer.seed, new.noise):
            self.probe_set = ProbeSet(self.trainer)
        if rebuilt:
            self.alarm.reset()
        self._metrics_at = 0.0
        msg = {"type": "config", "config": new.model_dump(), "rebuilt": rebuilt,
               "knobs": knob_states(new)}
        if message:  # what a knob set besides its own change (the page's status line)
            msg["message"] = message
        self._broadcast(msg)
        self._cmd_publish()
        return msg

    @handles("slowmo")
    def _cmd_slowmo(self, on: bool, stage_ms: int | None = None) -> dict:
        self.slowmo = on
        if stage_ms is not None:
            self.stage_ms = stage_ms
        return self._changed_state()

    # ------------------------------------------------------------ internals
    def _build(self, extra: dict[str, Any] | None = None) -> Frame:
        now = time.perf_counter()
        fresh = (extra is not None or not self.running
                 or now - self._metrics_at >= self.worker.metrics_gap(METRICS_INTERVAL))
        frame = build_frame(self.trainer, self.probe_set, {
            "running": self.running, "its_per_sec": 0.0 if self.slowmo else round(self.its_per_sec, 1),
            "paused_reason": self.paused_reason, "slowmo": self.slowmo,
            "iterations_per_frame": self.iterations_per_frame, "compiled": self.compiled,
            **(extra or {})},
            self.drs_percentile, None if fresh else self._metrics, self.worker.probed)
        if fresh:
            self._metrics, self._metrics_at = frame.header["metrics"], now
            was = (self._alarm or {}).get("kind")
            t = self.trainer
            self._alarm = self.alarm.update(t.iteration, self._metrics, t.config, t.dataset.name,
                                            t.losses())
            if self._alarm["kind"] != was:
                self._broadcast({"type": "alarm", **self._alarm})
        frame.header["alarm"] = self._alarm
        self.history.record(frame.header)
        return frame

    # ------------------------------------------------------------ the worker's Runner interface
    def prepare_chunk(self) -> None:
        """Swap the compiled step in (or out, after a shape change) when due; say so."""
        if self.compiler is None:
            return
        status = self.compiler.attach(self.trainer)
        changed, self.compiled = status["state"] != self.compiled["state"], status
        if changed:
            self._broadcast({"type": "state", **self.state()})

    def batch_key(self) -> Any:
        """Its batching key (gan/batched.compat_key); None while it leads a follower or plays in
        slow motion: those train solo."""
        return None if self.follower is not None or self.slowmo else compat_key(self.trainer)

    def probe_noise(self, n: int) -> torch.Tensor:
        """The first n of its fixed display noise (a batching group probes with it)."""
        return self.probe_set.z[:n]

    def train(self, n: int | None, until: float, keep_going: Callable[[], bool],
              left: int | None) -> None:
        """n iterations (stopping after any when a command waits), or until `until`."""
        t = self.trainer
        if n is not None:
            for _ in range(n):
                t.iterate()
                if not keep_going():
                    break
            return
        start, clock = t.iteration, time.perf_counter
        while clock() < until and keep_going() and (left is None or t.iteration - start < left):
            t.iterate()

    def trained(self, n: int) -> None:
        self._lockstep(n)
        t0, i0 = self._rate
        now, it = time.perf_counter(), self.trainer.iteration
        if now - t0 >= 0.5:
            self.its_per_sec = (it - i0) / (now - t0)
            self._rate = (now, it)

    def slow_iteration(self, wait: Callable[[], bool]) -> None:
        """One iteration stage by stage: a frame per stage, `wait` between them."""
        rec = StageRecorder(self.trainer, self._build, self._show_stage, wait)
        try:
            self.trainer.iterate(observe=rec)
        finally:
            self._stage_frame = None
        self._lockstep(1)
        if self.check_finite():
            self._cmd_publish()
            self.stop_at_until()

    def _show_stage(self, frame: Frame) -> None:
        self._stage_frame = frame
        self._publish(frame)

    def show_held_stage(self) -> None:
        f = self._stage_frame
        if f is not None:
            self._publish(Frame({**f.header, "running": False}, f.sections))

    def _lockstep(self, n: int, part: str = "both") -> None:
        """Advance the follower by the same iterations (unlink it if it is gone)."""
        if self.follower is None or n <= 0:
            return
        try:
            self.follower.command("step", n=n, part=part).result(timeout=60)
        except Exception as exc:  # the follower ended or failed: stop following, say why
            self.follower = None
            self._broadcast({"type": "event", "event": "unlinked", "reason": str(exc)})
