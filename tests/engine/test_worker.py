"""The worker loop survives anything: a failing chunk, frame or command pauses the session with the
reason, callers get an error, and every later command is still answered. Reads are not activity;
commands queued on an ended session fail with SessionEnded instead of hanging."""

import json
import time
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
import torch
from safetensors.torch import load as st_load

from gandojo.engine.base import SessionEnded
from gandojo.engine.checkpoint import CheckpointError, from_bytes, to_bytes
from gandojo.engine.fanout import Subscriber
from gandojo.engine.worker import CommandFailed
from gandojo.engine.session import Session
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset, points_dataset
from gandojo.gan.trainer import Trainer2D
from servers import wait_for

CFG = merged_config(GanConfig(), {"discriminator": {"momentum": 0.5}, "batch_size": 16})


def crafted_trainer() -> Trainer2D:
    """A trainer holding the optimizer state of a crafted checkpoint (D's first momentum buffer
    re-declared [16] instead of [8, 2], same bytes), forced past the loader's checks the way the
    unchecked loader used to take it: SGD's load_state_dict does not compare shapes."""
    t = Trainer2D(get_dataset("gaussians"), CFG, 4)
    t.iterate()
    data = to_bytes(t)
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["opt_d.0.momentum_buffer"]["shape"] = [16]
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    crafted = len(raw).to_bytes(8, "little") + raw + data[8 + n:]
    with pytest.raises(CheckpointError):  # the loader refuses it ...
        from_bytes(crafted)
    tensors = st_load(crafted)  # ... so it is forced in, as before the checks
    state = t.opt_d.state_dict()
    state["state"][0]["momentum_buffer"] = tensors["opt_d.0.momentum_buffer"]
    t.opt_d.load_state_dict(state)
    return t


class Recorder(Subscriber):
    def __init__(self) -> None:
        super().__init__(lambda: None, maxlen=1000)

    def seen(self, pred) -> bool:
        return any(pred(m) for m in list(self.messages))


def answers(s: Session, timeout: float = 10.0) -> None:
    """pause, snapshot and reset are all answered within `timeout` seconds."""
    assert s.command("pause").result(timeout)["running"] is False
    assert s.command("snapshot").result(timeout).header["iteration"] >= 0
    assert s.command("reset").result(timeout)["iteration"] == 0


def test_an_exception_inside_a_training_chunk_pauses_with_the_reason():
    s = Session("crafted", "tok", crafted_trainer())
    rec = Recorder()
    s.subscribe(rec)
    try:
        s.command("play").result(10)
        assert wait_for(lambda: not s.running, 20)
        assert "training failed" in s.paused_reason and "RuntimeError" in s.paused_reason
        assert rec.seen(lambda m: m.get("type") == "state" and m["paused_reason"] == s.paused_reason)
        assert rec.seen(lambda m: m.get("type") == "event" and m["event"] == "error")
        assert s.worker.thread.is_alive()
        answers(s)  # reset builds a fresh trainer: training works again
        s.command("play").result(10)
        assert wait_for(lambda: s.trainer.iteration > 5, 20) and s.running
    finally:
        s.close()


def test_an_exception_inside_a_command_answers_the_caller_and_pauses():
    s = Session("crafted-step", "tok", crafted_trainer())
    try:
        with pytest.raises(CommandFailed, match="command 'step' failed"):
            s.command("step", n=3).result(10)
        assert s.running is False and "RuntimeError" in s.paused_reason
        answers(s)
        assert s.command("step", n=2).result(10)["iteration"] == 2
    finally:
        s.close()


def test_an_exception_while_building_a_frame_pauses_too():
    pts = torch.tensor([[0.2, 0.3], [0.6, 0.7]])
    # a view no checked loader lets through (its frames cannot be JSON-encoded)
    ds = points_dataset(pts, "csv", view=((0.0, 1.0), (0.0, float("inf"))))
    s = Session("bad-view", "tok", Trainer2D(ds, CFG, 1))
    rec = Recorder()
    s.subscribe(rec)  # a watcher: frames are built
    try:
        s.command("play").result(10)
        assert wait_for(lambda: not s.running and s.paused_reason is not None, 20)
        assert "failed" in s.paused_reason
        assert s.worker.thread.is_alive()
        assert s.command("pause").result(10)["running"] is False
        assert s.command("speed", iterations_per_frame=2).result(10)["iterations_per_frame"] == 2
    finally:
        s.close()


def test_reads_are_not_activity():
    s = Session("idle", "tok", Trainer2D(get_dataset("gaussians"), CFG, 1))
    try:
        before = s.last_active
        time.sleep(0.01)
        s.command("snapshot").result(10)
        s.command("checkpoint").result(10)
        viewer = Subscriber(lambda: None, viewer=True)
        s.subscribe(viewer)
        s.unsubscribe(viewer)
        assert s.last_active == before
        s.command("step", n=1).result(10)
        assert s.last_active > before
    finally:
        s.close()


def test_commands_queued_on_an_ended_session_fail_with_session_ended():
    s = Session("ending", "tok", Trainer2D(get_dataset("gaussians"), CFG, 1))
    slow = s.command("step", n=3000)  # keeps the worker busy while more queue up
    deadline = time.monotonic() + 10
    while s.trainer.iteration == 0 and time.monotonic() < deadline:  # it runs: close cannot fail it
        time.sleep(0.001)
    queued = [s.command("step", n=1) for _ in range(5)]
    s.close()
    for fut in queued:
        with pytest.raises((SessionEnded, FutureTimeout)) as err:
            fut.result(10)
        assert err.type is SessionEnded
    with pytest.raises(SessionEnded):
        s.command("snapshot").result(1)  # after the end: failed at once, never left hanging
    slow.result(60)
