"""Alarms on real training of constructed provocations (issue 13), small budgets.

Each run trains a Trainer2D and feeds the alarm the metrics a session's frame carries
(engine/frames.py), every OBSERVE iterations, as a session observing ~10 times a second would.
"""

import pytest

from gandojo.engine.alarm import CollapseAlarm
from gandojo.engine.frames import ProbeSet
from gandojo.engine.frames import _metrics as frame_metrics
from gandojo.gan import probes
from gandojo.engine.manager import SessionManager
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.presets import KNOBS, PRESETS
from gandojo.gan.trainer import Trainer2D
from servers import wait_for

OBSERVE = 100


def run(dataset: str, cfg: GanConfig, iterations: int, seed: int = 0,
        change: tuple[int, str] | None = None, until=None) -> list[dict]:
    """The alarm's report after every observation of a real run; `change` = (iteration, knob)
    pulls a knob mid-run, live, as the page does; `until(reports)` true ends the run early."""
    t = Trainer2D(get_dataset(dataset), cfg, seed)
    ps, alarm, reports = ProbeSet(t), CollapseAlarm(), []
    for i in range(iterations + 1):
        if change and i == change[0]:
            t.apply_config(merged_config(t.config, KNOBS[change[1]].patch(t.config)))
        if i % OBSERVE == 0:  # a frame's metrics (engine/frames.py), without drawing the frame
            fake, d_fake, _ = probes.fakes_with_gradients(t, ps.z)
            m = frame_metrics(t, ps, fake, d_fake)
            report = alarm.update(t.iteration, m, t.config, dataset, t.losses())
            reports.append({**report, "metrics": m})
            if until and until(reports):
                break
        if i < iterations:
            t.iterate()
    return reports


def knobs(*names: str) -> GanConfig:
    cfg = GanConfig()
    for n in names:
        cfg = merged_config(cfg, KNOBS[n].patch(cfg))
    return cfg


def raised(reports: list[dict], kind: str) -> bool:
    return any(r["active"] and kind in r["kinds"] for r in reports)


def test_dead_discriminator_on_the_defaults_sounds():
    """The issue's finding: D ×10 lr and kD +1 twice on the defaults: D loss 1.3863, D accuracy
    0 % / 0 %, JS 0.62, and no banner. The run ends once d-dead has held for three observations
    in a row (about iteration 1500 of 2000 here): it sounds and stays, not a one-frame blip."""
    def held(reports):
        return len(reports) >= 3 and all(r["active"] and "d-dead" in r["kinds"]
                                         for r in reports[-3:])
    reports = run("gaussians", knobs("d-lr-x10", "kd-plus-1", "kd-plus-1"), 2000, until=held)
    assert raised(reports, "d-dead")
    last = reports[-1]
    assert last["active"] and last["kind"] == "d-dead" and "JS" in last["message"]


def test_the_default_run_raises_nothing():
    reports = run("gaussians", GanConfig(), 1500)
    assert not any(r["active"] for r in reports), [r["kind"] for r in reports if r["active"]]


def test_a_collapse_sounds_and_does_not_clear_when_r1_only_blurs_it():
    """G lr ×10 on the defaults: one mode of two, sharp, for a thousand iterations. The issue's
    finding: turning R1 on during a collapse made the banner go away without curing anything.
    After R1 goes on, every report is either still an alarm or shows every mode captured."""
    reports = run("gaussians", knobs("g-lr-x10"), 2000, change=(1300, "r1"))
    assert reports[13]["active"] and "collapse" in reports[13]["kinds"]  # at iteration 1300
    after = reports[14:]
    for r in after:
        m = r["metrics"]
        assert r["active"] or m["modes_captured"] == m["modes_total"], r


@pytest.mark.parametrize("seed", [0])
def test_divergence_pauses_the_session_with_the_whole_reason(seed):
    """The old WGAN-GP knob (the loss alone, SGD lr 0.1 for the critic) went to NaN."""
    m = SessionManager("cpu", batching=False)
    try:
        s = m.create("gaussians", merged_config(GanConfig(), {"loss": "wgan-gp"}), seed=seed)
        s.command("play").result(5)
        assert wait_for(lambda: not s.running, timeout=60)
        info = s.info()
        assert "diverged" in info["paused_reason"] and "iteration" in info["paused_reason"]
        alarm = s.command("snapshot").result(10).header["alarm"]
        assert alarm["active"] and alarm["kind"] == "divergence"
        assert "lower" in alarm["cause"] and alarm["message"].startswith("Training diverged")
    finally:
        m.close_all()
