"""Play to an iteration exactly (solo, with a fixed speed, batched), Pause at once whatever the
speed, and slow motion: Pause holds the current stage, Step plays one iteration stage by stage."""

import time

import pytest

from gandojo.engine.base import InputError
from gandojo.engine.fanout import Subscriber
from gandojo.engine.frames import decode
from gandojo.engine.manager import SessionManager
from gandojo.gan.config import GanConfig, merged_config
from servers import wait_for

SMALL = {"batch_size": 32}


@pytest.fixture
def manager():
    m = SessionManager("cpu")
    yield m
    m.close_all()


def new(manager, dataset="gaussians", seed=0, **patch):
    """A session with a real subscriber (so that it publishes frames)."""
    s = manager.create(dataset, merged_config(GanConfig(), {**SMALL, **patch}), seed=seed)
    s.subscribe(Subscriber(lambda: None, maxlen=50))
    return s


def stopped_at(s, n, timeout=30.0) -> None:
    """The session paused by itself at iteration n and stays there."""
    assert wait_for(lambda: not s.running, timeout), f"still running at {s.trainer.iteration}"
    assert s.trainer.iteration == n
    time.sleep(0.2)
    assert s.trainer.iteration == n and s.info()["until"] is None


@pytest.mark.parametrize("speed", [0, 7])
def test_play_until_stops_at_exactly_n(manager, speed):
    s = new(manager)
    s.command("speed", iterations_per_frame=speed).result(5)
    s.command("step", n=3).result(5)
    assert s.command("play", until=250).result(5)["until"] == 250
    stopped_at(s, 250)
    assert decode(s.latest()[1]).header["iteration"] == 250  # the last frame shows it
    s.command("play", until=260).result(5)  # again, from there
    stopped_at(s, 260)


def test_play_until_stops_each_member_of_a_batch_at_its_own_n(manager):
    a, b, c = (new(manager, seed=i) for i in range(3))
    c.command("play").result(5)
    a.command("play", until=400).result(5)
    b.command("play", until=333).result(5)
    assert wait_for(lambda: c.info()["batched"])
    stopped_at(b, 333)
    stopped_at(a, 400)
    assert c.running  # the one playing on keeps going


def test_until_must_lie_ahead(manager):
    s = new(manager)
    s.command("step", n=5).result(5)
    with pytest.raises(InputError, match="until"):
        s.command("play", until=5).result(5)
    assert not s.running


def test_pause_is_at_once_with_a_large_speed(manager):
    wide = {"hidden_layers": 3, "neurons": 64}
    s = new(manager, "ring8", generator=wide, discriminator=wide, batch_size=512)  # 1000 iterations: seconds
    s.command("speed", iterations_per_frame=1000).result(5)
    s.command("play").result(5)
    time.sleep(0.3)
    t0 = time.perf_counter()
    s.command("pause").result(10)
    waited = time.perf_counter() - t0
    it = s.trainer.iteration
    assert 0 < it < 1000 and waited < 0.5, (it, waited)  # within one iteration, not a chunk
    t0 = time.perf_counter()
    s.command("play").result(5)
    time.sleep(0.2)
    assert s.command("reset").result(10)["iteration"] == 0 and time.perf_counter() - t0 < 1.0


def stage_of(s):
    h = decode(s.latest()[1]).header
    return (h["stage"] or {}).get("index"), h["iteration"]


def test_slow_motion_pause_holds_the_stage_and_step_plays_one_iteration(manager):
    s = new(manager)
    s.command("slowmo", on=True, stage_ms=200).result(5)
    s.command("play").result(5)
    assert wait_for(lambda: stage_of(s)[0] == 3, 10)  # mid-iteration: D loss
    s.command("pause").result(5)
    held, it = stage_of(s)
    assert held is not None
    time.sleep(2.2)  # held: no stage moves, no iteration ends
    assert stage_of(s) == (held, it) and s.trainer.iteration == it
    assert decode(s.latest()[1]).header["its_per_sec"] == 0.0  # it/s reads 0 in slow motion
    s.command("step").result(5)  # finishes this iteration, stage by stage
    assert wait_for(lambda: s.trainer.iteration == it + 1, 10)
    assert wait_for(lambda: stage_of(s)[0] is None, 5)  # the frame after the iteration
    time.sleep(0.6)
    assert s.trainer.iteration == it + 1 and not s.running
    seen = set()
    s.command("step").result(5)  # paused between iterations: a whole one, stage by stage
    assert wait_for(lambda: seen.add(stage_of(s)[0]) or s.trainer.iteration == it + 2, 15)
    assert len(seen - {None}) >= 5 and not s.running
