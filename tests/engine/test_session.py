"""Session: commands through the worker, frames while playing, pause, NaN guard, slow motion."""

import threading
import time

import numpy as np
import pytest
from pydantic import ValidationError

from gandojo.engine.frames import decode
from gandojo.engine.fanout import Subscriber
from gandojo.engine.session import Session
from gandojo.gan.config import GanConfig
from gandojo.gan.datasets import get_dataset
from gandojo.gan.trainer import Trainer2D
from servers import wait_for


@pytest.fixture
def session():
    s = Session("s1", "tok", Trainer2D(get_dataset("gaussians"), GanConfig(), 3))
    yield s
    s.close()


class Counter:
    def __init__(self, session):
        self.n, self.event = 0, threading.Event()
        self.sub = Subscriber(self.bump)
        session.subscribe(self.sub)

    def bump(self):
        self.n += 1
        self.event.set()


def test_step_and_results(session):
    r = session.command("step", n=5, part="both").result(5)
    assert r["iteration"] == 5 and r["losses"]["d"] is not None


def test_play_publishes_frames_at_a_bounded_rate_and_pause_stops(session):
    c = Counter(session)
    session.command("play").result(5)
    time.sleep(1.0)
    session.command("pause").result(5)
    n, it = c.n, session.trainer.iteration
    assert 15 <= n <= 40  # ~30 frames/s
    assert it > 200  # trains far faster than it draws
    time.sleep(0.3)
    assert session.trainer.iteration == it
    hdr = decode(session.latest()[1]).header
    assert hdr["iteration"] == it and hdr["running"] is False


def test_iterations_per_frame_paces_training(session):
    Counter(session)
    session.command("speed", iterations_per_frame=2).result(5)
    session.command("play").result(5)
    time.sleep(1.0)
    session.command("pause").result(5)
    assert 20 <= session.trainer.iteration <= 80  # 2 per frame at <= 30 frames/s


def test_no_frames_built_without_subscribers(session):
    session.command("play").result(5)
    time.sleep(0.3)
    session.command("pause").result(5)
    assert session.latest() is None and session.trainer.iteration > 0


def test_invalid_config_raises_and_keeps_the_old(session):
    with pytest.raises(ValidationError):
        session.command("config", patch={"discriminator": {"lr": 0}}).result(5)
    assert session.trainer.config.discriminator.lr == 0.1


def test_nan_pauses_with_a_reason(session):
    session.command("config", patch={"generator": {"lr": 10.0}, "discriminator": {"lr": 10.0},
                                     "loss": "wgan-gp", "gp_weight": 0.0}).result(5)
    c = Counter(session)
    session.command("play").result(5)
    assert wait_for(lambda: not session.running, 20)
    assert "diverged" in session.paused_reason
    assert wait_for(lambda: any(m.get("type") == "state" and not m["running"] for m in c.sub.messages))
    # the state message goes out just before the pause's frame: wait for that frame too
    assert wait_for(lambda: not decode(session.latest()[1]).header["running"])
    frame = decode(session.latest()[1])  # the frame at the pause: the last finite one, paused
    assert frame.header["paused_reason"] == session.paused_reason and not frame.header["running"]
    assert frame.header["diverged_at"] == session.trainer.iteration
    assert all(np.isfinite(v).all() for v in frame.sections.values()), "all-NaN sections sent"


def test_reset_with_new_dataset_and_seed(session):
    session.command("step", n=3).result(5)
    info = session.command("reset", dataset="ring8", seed=11).result(5)
    assert info["dataset"] == "ring8" and info["seed"] == 11 and info["iteration"] == 0


def test_same_seed_sessions_agree_even_when_played(session):
    other = Session("s2", "tok", Trainer2D(get_dataset("gaussians"), GanConfig(), 3))
    try:
        other.command("play").result(5)
        time.sleep(0.2)
        other.command("pause").result(5)
        other.command("reset").result(5)
        a = session.command("step", n=20).result(5)
        b = other.command("step", n=20).result(5)
        # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
        # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
        assert a == b
    finally:
        other.close()


def test_slow_motion_walks_through_the_stages(session):
    c = Counter(session)
    session.command("slowmo", on=True, stage_ms=200).result(5)
    session.command("play").result(5)
    names = set()
    end = time.monotonic() + 4
    while time.monotonic() < end and len(names) < 4:
        c.event.wait(1)
        c.event.clear()
        hdr = decode(session.latest()[1]).header
        if hdr["stage"]:
            names.add(hdr["stage"]["name"])
    session.command("pause").result(5)
    assert len(names) >= 4
    assert session.trainer.iteration <= 2  # slow: about one iteration in a few seconds


def test_slow_motion_stage_frames_carry_the_batch(session):
    session.command("config", patch={"batch_size": 20, "k_d": 1}).result(5)
    frames = []
    session.subscribe(Subscriber(lambda: frames.append(session.latest()[1])))
    session.command("slowmo", on=True, stage_ms=200).result(5)
    session.command("play").result(5)
    assert wait_for(lambda: any(decode(f).header["stage"] and decode(f).header["stage"]["index"] == 9
                                for f in list(frames)), 10)
    session.command("pause").result(5)
    staged = [decode(f) for f in frames if decode(f).header["stage"]]
    by_index = {f.header["stage"]["index"]: f for f in staged}
    assert by_index[0].sections["stage_real"].shape == (20, 2)
    assert by_index[0].sections["stage_fake"].shape == (0, 2)
    assert by_index[2].sections["stage_d_real"].shape == (20,)
    assert by_index[9].sections["stage_grad"].shape == (20, 2)
    assert "D loss" in by_index[3].header["stage"]["name"]
    assert by_index[3].header["stage"]["values"]["d_loss"] is not None


def test_idle_sessions_pause_then_end():
    from gandojo.engine.manager import SessionManager

    m = SessionManager(idle_pause_s=60, idle_timeout_s=600)
    try:
        s = m.create("gaussians", GanConfig(), seed=1)
        s.command("play").result(5)
        m.reap(now=s.last_active + 30)
        assert s.running  # not idle long enough
        m.reap(now=s.last_active + 61)
        assert wait_for(lambda: not s.running) and "nobody watched" in s.paused_reason
        watched = m.create("gaussians", GanConfig(), seed=2)
        watched.subscribe(Subscriber(lambda: None))
        m.reap(now=s.last_active + 601)
        assert m.get(s.id) is None and m.get(watched.id) is watched
    finally:
        m.close_all()
