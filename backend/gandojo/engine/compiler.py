"""Background compiles of the 2D training step, swapped into sessions when ready.

A session trains eagerly from its first iteration. Its worker calls `StepCompiler.attach(trainer)`
once per chunk: when a compiled step (gan/compiled.py) for the trainer's `step_key` is ready, the
trainer gets it as its `fast_step`; otherwise the key is queued for the one compile thread (niced,
one compile at a time, shared by every session with that key) and training stays eager. A config
change that alters shapes, loss or optimizer kind makes the step not fit: the trainer goes back
to eager until the new key is compiled. Any compile or run-time error, or a config the functional
step cannot express, keeps the eager step; it is logged (logger "gandojo.compile") and reported in
the status (`state`, `compile_s`, `reason`), never raised into the session.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from ..gan.compiled import BoundStep, FunctionalStep, step_key, unsupported

log = logging.getLogger("gandojo.compile")
WANTED_S = 5.0  # a queued compile nobody asked for in this long is dropped, not compiled
OFF = {"state": "off", "compile_s": None, "reason": "compilation is off (--no-compile)"}


@dataclass
class _Entry:
    cfg: Any
    device: torch.device
    state: str = "compiling"  # compiling | compiled | failed
    step: FunctionalStep | None = None
    compile_s: float | None = None
    reason: str | None = None
    wanted: float = field(default_factory=time.monotonic)

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "compile_s": self.compile_s, "reason": self.reason}


class StepCompiler:
    """Compiled 2D steps by step key: started on demand, one background thread, shared."""

    def __init__(self, enabled: bool = True, mode: str | None = None, nice: int = 10) -> None:
        self.enabled, self.mode, self.nice = enabled, mode or None, nice
        self._entries: dict[tuple, _Entry] = {}
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def attach(self, trainer) -> dict[str, Any]:
        """Give `trainer` the compiled step of its config if there is one (else start compiling
        it and leave the trainer eager); returns the status to report. Worker thread only."""
        fast = trainer.fast_step
        if isinstance(fast, BoundStep) and fast.fits(trainer):
            return self._entries[fast.step.key].status()
        trainer.fast_step = None
        if not self.enabled:
            return OFF
        reason = unsupported(trainer.config)
        if reason is not None:
            return {"state": "eager", "compile_s": None, "reason": reason}
        key = step_key(trainer.config, trainer.device)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.state == "dropped":
                entry = self._entries[key] = _Entry(trainer.config, trainer.device)
                self._queue.put(key)
                self._start()
            entry.wanted = time.monotonic()
        if entry.state == "compiled":
            trainer.fast_step = BoundStep(entry.step, lambda exc: self._failed(key, exc, "run"))
        return entry.status()

    def status(self, trainer) -> dict[str, Any]:
        """The status of `trainer`'s current config, without queueing anything."""
        if not self.enabled:
            return OFF
        entry = self._entries.get(step_key(trainer.config, trainer.device))
        return entry.status() if entry else {"state": "eager", "compile_s": None, "reason": None}

    def _start(self) -> None:
        if self._thread is None:
            threads = torch.get_num_threads()  # the caller's (a worker's) = the process setting
            self._thread = threading.Thread(target=self._run, args=(threads,),
                                            name="step-compiler", daemon=True)
            self._thread.start()

    def _run(self, threads: int) -> None:
        torch.set_num_threads(threads)  # inductor sizes its kernels' parallelism by this
        try:  # a lower priority for this thread and the compilers it starts
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        except (AttributeError, OSError):
            pass
        while True:
            key = self._queue.get()
            entry = self._entries[key]
            if time.monotonic() - entry.wanted > WANTED_S:  # nobody waits for it any more
                entry.state = "dropped"
                continue
            self._compile(key, entry)

    def _compile(self, key: tuple, entry: _Entry) -> None:
        t0 = time.perf_counter()
        try:
            import torch._inductor.config as inductor_config

            inductor_config.compile_threads = 1  # no pool of compile processes on a small CPU
            kwargs = {"mode": self.mode} if self.mode else {}
            step = FunctionalStep(entry.cfg, entry.device, compile=True, **kwargs)
            step.warm_up()
        except Exception as exc:  # noqa: BLE001 - any failure: that key stays eager
            entry.compile_s = round(time.perf_counter() - t0, 1)
            self._failed(key, exc, "compile")
            return
        entry.step, entry.compile_s = step, round(time.perf_counter() - t0, 1)
        entry.state = "compiled"
        log.info("compiled the 2D step for %s in %.1f s", key, entry.compile_s)

    def _failed(self, key: tuple, exc: BaseException, when: str) -> None:
        entry = self._entries[key]
        entry.state, entry.reason = "failed", f"{when} failed: {type(exc).__name__}: {exc}"[:300]
        log.warning("2D step for %s stays eager: %s", key, entry.reason)
