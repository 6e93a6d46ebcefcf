"""Background compile and swap of the 2D step in a real session (engine/compiler.py).

The compiles are real (tens of seconds of CPU each): small nets; the first config's step comes from
the run's shared StepCompiler (tests/conftest.py), which tests/gan/test_compiled.py reuses, so the
run compiles it once (and inductor's on-disk cache usually serves it). The shape change's step
(batch 48) is compiled by this test alone: it always shows eager training while compiling.
"""

import threading

import pytest
import torch

from gandojo.engine.base import SessionDeps
from gandojo.engine.compiler import StepCompiler
from gandojo.engine.fanout import Subscriber
from gandojo.engine.frames import decode
from gandojo.engine.session import Session
from gandojo.gan.compiled import BoundStep
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D
from servers import wait_for

SMALL = {"batch_size": 32, "generator": {"optimizer": "adam", "lr": 0.01, "betas": [0.5, 0.9]},
         "discriminator": {"momentum": 0.5}}
COMPILE_S = 600  # the longest a compile may take on a busy 2-core machine


def session(compiler: StepCompiler, **patch) -> Session:
    cfg = merged_config(merged_config(GanConfig(), SMALL), patch)
    return Session("c1", "tok", Trainer2D(get_dataset("gaussians"), cfg, 7),
                   deps=SessionDeps(compiler=compiler))


class Frames:
    def __init__(self, s: Session) -> None:
        self.s, self.n, self.event = s, 0, threading.Event()
        s.subscribe(Subscriber(self.bump))

    def bump(self) -> None:
        self.n += 1
        self.event.set()

    def header(self) -> dict:
        return decode(self.s.latest()[1]).header


def state(s: Session) -> str:
    assert s.running, s.paused_reason  # fail at once, saying why, if the session stopped
    return s.compiled["state"]


@pytest.mark.timeout(3 * COMPILE_S)
def test_eager_at_once_then_compiled_and_a_shape_change_goes_round_again(step_compiler):
    # the run's shared compiler (tests/conftest.py): its batch-32 step then serves
    # tests/gan/test_compiled.py; the batch-48 step below is compiled here, always while training
    s = session(step_compiler)
    frames = Frames(s)
    try:
        s.command("play").result(10)
        # training and frames start at once, eagerly, while the step compiles in the background
        assert wait_for(lambda: s.trainer.iteration > 20 and frames.n > 3, 30)
        assert state(s) in ("compiling", "compiled")
        assert wait_for(lambda: state(s) == "compiled", COMPILE_S), s.compiled
        assert isinstance(s.trainer.fast_step, BoundStep)
        assert s.compiled["compile_s"] > 0
        it = s.trainer.iteration
        assert wait_for(lambda: s.trainer.iteration > it + 200, 30)
        assert wait_for(lambda: frames.header()["compiled"]["state"] == "compiled", 5)
        assert s.command("snapshot").result(10).header["compiled"]["state"] == "compiled"

        s.command("config", patch={"batch_size": 48}).result(10)  # new shapes: eager again
        assert wait_for(lambda: state(s) == "compiling", 10), s.compiled
        assert s.trainer.fast_step is None
        it = s.trainer.iteration
        assert wait_for(lambda: s.trainer.iteration > it + 50, 30)  # trains on, eagerly
        assert wait_for(lambda: state(s) == "compiled", COMPILE_S), s.compiled
        assert s.trainer.fast_step.step.key[2] == 48
        it = s.trainer.iteration
        assert wait_for(lambda: s.trainer.iteration > it + 200, 30)
        assert s.info()["compiled"]["state"] == "compiled"
    finally:
        s.close()


def test_a_failing_compile_falls_back_to_eager_silently(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected compile failure")

    monkeypatch.setattr(torch, "compile", broken)  # the fault; everything else is real
    s = session(StepCompiler())
    try:
        s.command("play").result(10)
        assert wait_for(lambda: state(s) == "failed", 30), s.compiled
        assert "injected compile failure" in s.compiled["reason"]
        it = s.trainer.iteration
        assert wait_for(lambda: s.trainer.iteration > it + 50, 30)
        assert s.trainer.fast_step is None and s.running
    finally:
        s.close()


def test_unsupported_config_and_compile_off_stay_eager():
    s = session(StepCompiler(), r1_weight=1.0)
    off = session(StepCompiler(enabled=False))
    try:
        for x in (s, off):
            x.command("play").result(10)
        assert wait_for(lambda: s.trainer.iteration > 20 and off.trainer.iteration > 20, 30)
        assert state(s) == "eager" and "R1" in s.compiled["reason"]
        assert state(off) == "off"
        assert s.trainer.fast_step is None and off.trainer.fast_step is None
    finally:
        s.close()
        off.close()
