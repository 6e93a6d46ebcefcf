"""Batching of compatible playing sessions: who is batched, frames, commands, leaving, determinism."""

import threading
import time

import pytest
import torch

from gandojo.engine.fanout import Subscriber
from gandojo.engine.frames import decode
from gandojo.engine.manager import SessionManager
from gandojo.gan.config import GanConfig, merged_config
from gandojo.settings import Settings
from f32_probes import frame_excess
from numerics import assert_f32_close, f32_bound, reduction_ops
from servers import wait_for

DATASETS = ("gaussians", "ring", "ring8", "grid25")


@pytest.fixture
def manager():
    m = SessionManager("cpu")
    yield m
    m.close_all()


def playing(manager, n, **patch):
    sessions = [manager.create(DATASETS[i % 4], merged_config(GanConfig(), patch), seed=i)
                for i in range(n)]
    for s in sessions:
        s.command("play").result(5)
    return sessions


class Frames:
    """A real subscriber counting the frames a session publishes."""

    def __init__(self, session):
        self.n, self.session = 0, session
        self.lock = threading.Lock()
        session.subscribe(Subscriber(self.bump))

    def bump(self):
        with self.lock:
            self.n += 1


def batched(s, size=None):
    info = s.info()
    return info["batched"] and (size is None or info["batch_group"] == size)


def test_compatible_playing_sessions_train_as_one_batch_and_keep_publishing(manager):
    sessions = playing(manager, 4)
    counters = [Frames(s) for s in sessions]
    assert wait_for(lambda: all(batched(s, 4) for s in sessions))
    start = [s.trainer.iteration for s in sessions]
    n0 = [c.n for c in counters]
    for s, i0, c, f0 in zip(sessions, start, counters, n0):  # (waits: busy CI cores are slow)
        assert wait_for(lambda: s.trainer.iteration > i0 + 20)  # every member advances
        assert wait_for(lambda: c.n - f0 >= 5)  # and its own frames keep coming
        hdr = decode(s.latest()[1]).header
        assert hdr["running"] and hdr["dataset"] == s.trainer.dataset.name
        assert all(v is not None for v in s.trainer.losses().values())
    assert list(manager.batcher.sizes().values()) == [4] and manager.batcher.last_error is None


def test_pause_config_and_reset_while_batched(manager):
    a, b, c = playing(manager, 3)
    assert wait_for(lambda: batched(a, 3))
    a.command("pause").result(5)  # answered within about one chunk
    it = a.trainer.iteration
    time.sleep(0.3)
    assert a.trainer.iteration == it and not a.info()["batched"]
    assert wait_for(lambda: batched(b, 2) and batched(c, 2))
    b.command("config", patch={"generator": {"lr": 0.2}, "k_g": 1}).result(5)  # same key: stays
    assert b.trainer.opt_g.param_groups[0]["lr"] == 0.2
    c.command("reset").result(5)
    assert c.trainer.iteration < 1000
    i_b, i_c = b.trainer.iteration, c.trainer.iteration
    assert wait_for(lambda: b.trainer.iteration > i_b + 20 and c.trainer.iteration > i_c + 20)
    assert wait_for(lambda: batched(b, 2) and batched(c, 2))
    b.command("config", patch={"discriminator": {"neurons": 16}}).result(5)  # new key: leaves
    assert wait_for(lambda: not b.info()["batched"] and b.running)
    i_b = b.trainer.iteration
    assert wait_for(lambda: b.trainer.iteration > i_b + 20)  # trains solo


def test_incompatible_sessions_train_solo(manager):
    sessions = playing(manager, 2) + playing(manager, 1, generator={"neurons": 16}) \
        + playing(manager, 2, instance_noise=0.05)
    assert wait_for(lambda: all(batched(s, 2) for s in sessions[:2]))
    time.sleep(0.7)
    for s in sessions[2:]:
        it = s.trainer.iteration
        assert not s.info()["batched"]
        assert wait_for(lambda: s.trainer.iteration > it + 10)


def test_a_closed_session_leaves_the_group(manager):
    sessions = playing(manager, 3)
    assert wait_for(lambda: all(batched(s, 3) for s in sessions))
    assert manager.delete(sessions[0].id)
    rest = sessions[1:]
    assert wait_for(lambda: all(batched(s, 2) for s in rest))
    its = [s.trainer.iteration for s in rest]
    assert wait_for(lambda: all(s.trainer.iteration > i + 20 for s, i in zip(rest, its)))
    assert manager.batcher.last_error is None


def test_step_stays_deterministic_next_to_batched_sessions(manager):
    playing(manager, 3)
    a = manager.create("gaussians", GanConfig(), seed=11)
    b = manager.create("gaussians", GanConfig(), seed=11)
    ra, rb = a.command("step", n=40).result(10), b.command("step", n=40).result(10)
    assert ra == rb
    a.command("play").result(5)  # trains batched for a while, then steps solo again
    assert wait_for(lambda: batched(a))
    a.command("pause").result(5)
    for s in (a, b):
        s.command("reset").result(5)
        s.command("step", n=25).result(10)
    # exact on purpose: the same code on the same shapes in one process (one intra-op thread,
    # tests/conftest.py) repeats every rounding; only other paths need tests/numerics.py bounds
    for p, q in zip(a.trainer.G.parameters(), b.trainer.G.parameters()):
        assert torch.equal(p, q)


def solo_twin(session, iterations):
    """A fresh trainer of the session's dataset, config and seed, trained solo."""
    from gandojo.gan.trainer import Trainer2D
    t = Trainer2D(session.trainer.dataset, session.trainer.config, session.trainer.seed)
    for _ in range(iterations):
        t.iterate()
    return t


def test_a_seed_reproduces_its_solo_run_when_trained_in_a_batch(manager):
    """Issue 13: a batched member draws exactly the real batches and noise it would draw solo
    (its generator ends in the same state), and its parameters equal the solo run's up to the
    float32 reassociation of batched arithmetic (bmm vs addmm), bounded relative to their size
    and growing with the number of iterations."""
    sessions = playing(manager, 3)
    assert wait_for(lambda: all(batched(s, 3) for s in sessions))
    for s in sessions:
        s.command("pause").result(5)
    for s in sessions:
        n = s.trainer.iteration
        assert n > 0
        solo = solo_twin(s, n)
        assert torch.equal(s.trainer.rng.get_state(), solo.rng.get_state())  # the same draws
        assert torch.equal(s.trainer.dataset.sample(8, s.trainer.rng), solo.dataset.sample(8, solo.rng))
        # (a session batched before issue 13 drew from one generator per group: this failed)
        cfg = s.trainer.config
        ops = reduction_ops(2 * cfg.batch_size)  # a gradient sums over real + fake samples
        steps = n * (cfg.k_d + cfg.k_g)
        for p, q in zip((*s.trainer.G.parameters(), *s.trainer.D.parameters()),
                        (*solo.G.parameters(), *solo.D.parameters())):
            scale = float(q.detach().abs().max().clamp(min=1.0))
            assert_f32_close(p.detach(), q.detach(), f32_bound(scale, ops, steps), f"{s.id} after {n}")


def test_batching_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("GANDOJO_BATCHING", "0")
    assert Settings.from_env().batching is False
    monkeypatch.setenv("GANDOJO_BATCHING", "true")
    assert Settings.from_env().batching is True
    m = SessionManager("cpu", batching=False)
    try:
        sessions = playing(m, 3)
        its = [s.trainer.iteration for s in sessions]
        assert wait_for(lambda: all(s.trainer.iteration > i + 20 for s, i in zip(sessions, its)))
        assert not any(s.info()["batched"] for s in sessions)
    finally:
        m.close_all()


def test_batched_frame_probes_match_each_sessions_own(manager):
    from gandojo.engine.batcher import _Group
    from gandojo.engine.frames import build_frame
    from gandojo.gan.batched import BatchedTrainer, compat_key

    sessions = [manager.create(ds, merged_config(GanConfig(), {"heatmap_resolution": res}), seed=i)
                for i, (ds, res) in enumerate([("gaussians", 64), ("ring8", 32), ("grid25", 64)])]
    for s in sessions:
        s.command("step", n=30).result(10)  # paused sessions: their threads leave them alone
    for s in sessions[:2]:
        s.worker.frame_due = 0.0  # frames due: probed; the third has no viewer: left alone
    group = _Group(manager.batcher, compat_key(sessions[0].trainer))  # its thread is not started
    group._probe(BatchedTrainer([s.trainer for s in sessions]), [s.worker for s in sessions])
    assert sessions[2].worker.probed is None
    for s in sessions[:2]:
        assert s.worker.probed["heatmap"].shape == (s.trainer.config.heatmap_resolution,) * 2
        metrics = build_frame(s.trainer, s.probe_set).header["metrics"]
        own = build_frame(s.trainer, s.probe_set, metrics=metrics)
        batched = build_frame(s.trainer, s.probe_set, metrics=metrics, probed=s.worker.probed)
        # bmm/matmul vs addmm: each section element within its float32 bound (tests/f32_probes.py)
        assert frame_excess(s.trainer, s.probe_set, own, batched) <= 1.0
        own.header.pop("gradient_scale"), batched.header.pop("gradient_scale")
        assert own.header == batched.header  # the same metrics and counters, no arithmetic
    # the bounds still catch a real bug: a member's probes left one D step behind (stale)
    s, stale = sessions[0], sessions[0].worker.probed
    s.trainer.d_step()
    metrics = build_frame(s.trainer, s.probe_set).header["metrics"]
    own = build_frame(s.trainer, s.probe_set, metrics=metrics)
    assert frame_excess(s.trainer, s.probe_set, own, build_frame(
        s.trainer, s.probe_set, metrics=metrics, probed=stale)) > 10


def test_frame_budget_lengthens_intervals_with_the_number_of_streaming_sessions():
    from gandojo.engine.budget import FrameBudget

    budget = FrameBudget(cores=1.0, metrics_per_s=50)
    budget.published(1, 0.001)
    assert budget.frame_interval(1 / 30) == 1 / 30  # one session: its own cadence
    assert budget.metrics_interval(0.1) == 0.1
    for sid in range(100):
        for _ in range(40):  # the running mean settles on the frames' real cost
            budget.published(sid, 0.002)
    assert budget.streaming() == 100
    assert budget.frame_interval(1 / 30) == pytest.approx(100 * 0.002, rel=0.05)  # ≤ ~1 core
    assert budget.metrics_interval(0.1) == pytest.approx(2.0)  # 50 refreshes/s server-wide


def test_many_streaming_sessions_share_frames_fairly(manager):
    sessions = playing(manager, 24)
    counters = [Frames(s) for s in sessions]
    assert wait_for(lambda: manager.budget.streaming() == 24)
    n0 = [c.n for c in counters]
    time.sleep(2.0)
    rates = sorted((c.n - n) / 2.0 for c, n in zip(counters, n0))
    assert rates[0] >= 2 and rates[0] >= 0.5 * rates[-1]  # everyone gets frames, evenly
    assert rates[-1] <= 32  # never above the server's 30 frames/s


def test_the_group_builds_and_publishes_due_frames_itself(manager):
    """Frames of a batched chunk are published by the group thread (no GIL fight of a hundred
    waking workers); the worker then only moves its frame clock on."""
    from gandojo.engine.batcher import _Group
    from gandojo.gan.batched import BatchedTrainer, compat_key

    s = manager.create("gaussians", GanConfig(), seed=0)
    s.command("step", n=5).result(10)
    s.subscribe(Subscriber(lambda: None))
    s.command("snapshot").result(10)  # the subscription's first frame is out
    seq = s.latest()[0]
    s.worker.frame_due = 0.0
    group = _Group(manager.batcher, compat_key(s.trainer))
    _Group._publish(group._probe(BatchedTrainer([s.trainer]), [s.worker]))
    assert s.latest()[0] == seq + 1
    assert s.worker.group_published and s.worker.probed is None
    frame = decode(s.latest()[1])
    assert frame.header["iteration"] == s.trainer.iteration
    assert frame.sections["heatmap"].shape == (64, 64)


def test_close_all_ends_many_batched_sessions_at_once():
    m = SessionManager("cpu")
    sessions = [m.create("gaussians", GanConfig(), seed=i) for i in range(20)]
    for s in sessions:
        s.subscribe(Subscriber(lambda: None))
        s.command("play").result(10)
    assert wait_for(lambda: all(s.batch_group > 1 for s in sessions))
    start = time.monotonic()
    m.close_all()
    assert time.monotonic() - start < 2.0  # one by one this took ~0.1 s per batched session
    assert not any(s.worker.thread.is_alive() for s in sessions)
