"""Alarms on constructed metric series: each kind fires on its evidence, stays quiet on healthy or
improving runs, and clears only when the metric that raised it is healthy again.

(Real training on constructed provocations: tests/engine/test_alarm_training.py.)
"""

import math

from gandojo.engine.advice import cures_tested
from gandojo.engine.alarm import CollapseAlarm, likely_cause
from gandojo.gan.config import GanConfig, merged_config

HEALTHY = {"d_real_acc": 0.6, "d_fake_acc": 0.6, "d_real_mean": 0.55, "d_fake_mean": 0.45,
           "js": 0.05, "g_grad_norm": 0.5, "d_grad_norm": 0.5}


def obs(captured=8, hq=0.9, total=8, **extra):
    return {**HEALTHY, "modes_captured": captured, "modes_total": total, "high_quality": hq, **extra}


def feed(alarm, series, cfg=GanConfig(), step=20, start=0, dataset="ring8"):
    out = None
    for i, m in enumerate(series):
        if isinstance(m, tuple):
            m = obs(*m)
        out = alarm.update(start + i * step, m, cfg, dataset)
    return out


def test_fires_on_sustained_collapse_with_sharp_samples():
    alarm = CollapseAlarm()
    out = feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 30)
    assert out["active"] and out["kind"] == "collapse" and out["modes_captured"] == 2
    assert out["cause"] and "2 of 8" in out["message"]


def test_quiet_on_healthy_run():
    out = feed(CollapseAlarm(), [(8, 0.9)] * 40)
    assert not out["active"] and out["kind"] is None


def test_quiet_while_coverage_still_rises():
    series = [(min(8, 1 + i // 5), 0.8) for i in range(40)]
    assert not feed(CollapseAlarm(), series)["active"]


def test_quiet_early_when_samples_are_blurry():
    assert not feed(CollapseAlarm(), [(1, 0.05)] * 40)["active"]  # iterations 0..780


def test_needs_a_sustained_window():
    alarm = CollapseAlarm()
    assert not feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 5)["active"]


def test_recovers_when_modes_come_back():
    alarm = CollapseAlarm()
    feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 30)
    assert alarm.active
    alarm.update(10_000, obs(8, 0.9), GanConfig())
    assert not alarm.active


def test_collapse_does_not_clear_when_the_fakes_merely_go_blurry():
    """The issue's finding: turning R1 on during a collapse made the fakes unsharp (quality 7 %),
    the banner went away and it looked cured. Coverage did not come back: the alarm stays, as
    mode dropping with bad quality."""
    alarm = CollapseAlarm()
    feed(alarm, [(8, 0.9)] * 10 + [(1, 0.9)] * 30)
    out = feed(alarm, [(1, 0.07)] * 40, start=1000)
    assert out["active"] and out["kind"] == "dropping"
    assert "high quality 7 %" in out["message"]
    out = feed(alarm, [(8, 0.07)] * 3, start=2000)  # coverage back but still blurry: not yet
    assert out["active"] and out["kind"] == "dropping"
    out = feed(alarm, [(8, 0.9)] * 2, start=3000)
    assert not out["active"]


def test_dropping_with_bad_quality_fires_after_warmup_and_names_no_untested_cure():
    alarm = CollapseAlarm()
    hot_g = merged_config(GanConfig(), {"generator": {"optimizer": "adam", "lr": 0.03}})
    out = feed(alarm, [(0, 0.05)] * 80, cfg=hot_g, dataset="gaussians", start=0, step=20)
    assert out["active"] and out["kind"] == "dropping"
    assert "learning rate is too high" in out["cause"]
    for word in ("PacGAN", "unrolled", "instance noise", "LSGAN"):
        assert word not in out["cause"]
    cures = cures_tested("gaussians", "g-lr-too-high")
    assert cures and all(cure in out["cause"] for cure in cures)


def test_d_wins_needs_perfect_accuracy_and_vanishing_gradients():
    win = dict(d_real_acc=1.0, d_fake_acc=1.0, g_grad_norm=1e-5)
    out = feed(CollapseAlarm(), [obs(**win)] * 30)
    assert out["active"] and out["kind"] == "d-wins" and "100 %" in out["message"]
    # a confident D whose gradients still reach G (non-saturating loss) is not the failure
    assert not feed(CollapseAlarm(), [obs(d_real_acc=1.0, d_fake_acc=1.0)] * 30)["active"]
    alarm = CollapseAlarm()
    feed(alarm, [obs(**win)] * 30)
    assert not feed(alarm, [obs(g_grad_norm=0.3)], start=1000)["active"]


def test_d_wins_on_a_saturated_minimax_loss_although_the_gradient_norm_is_not_tiny():
    """A certain D under the minimax loss passes G only D(fake) of the gradient: at mean D(fake)
    0.2 % G gets ~1/500 of what the non-saturating loss gives, whatever the norm's scale."""
    minimax = merged_config(GanConfig(), {"loss": "minimax"})
    win = dict(d_real_acc=1.0, d_fake_acc=1.0, d_fake_mean=0.002, g_grad_norm=0.3)
    out = feed(CollapseAlarm(), [obs(**win)] * 30, cfg=minimax)
    assert out["active"] and out["kind"] == "d-wins" and "D(fake) 2.0e-03" in out["message"]
    assert "non-saturating" in out["cause"]
    assert not feed(CollapseAlarm(), [obs(**win)] * 30)["active"]  # non-saturating: G still learns
    alarm = CollapseAlarm()
    feed(alarm, [obs(**win)] * 30, cfg=minimax)
    assert feed(alarm, [obs(**dict(win, d_fake_mean=0.02))], cfg=minimax, start=1000)["active"]
    assert not feed(alarm, [obs(**dict(win, d_fake_mean=0.05))], cfg=minimax, start=1100)["active"]


def test_dead_discriminator_while_distributions_differ():
    """The issue's finding: D lr ×10 and kD +2 on the defaults gave D loss 1.3863, D accuracy
    0 % / 0 %, JS 0.62 and no banner."""
    dead = dict(d_real_acc=0.0, d_fake_acc=0.0, d_real_mean=0.5, d_fake_mean=0.5, js=0.62)
    out = feed(CollapseAlarm(), [obs(2, 0.9, 2, **dead)] * 30, dataset="gaussians")
    assert out["active"] and out["kind"] == "d-dead" and "0.62 bits" in out["message"]
    assert "lower D lr" in out["cause"]
    # D at chance at equilibrium (JS small) is success, not a failure
    equilibrium = dict(dead, js=0.03)
    assert not feed(CollapseAlarm(), [obs(2, 0.9, 2, **equilibrium)] * 30)["active"]
    # datasets without modes get it too
    no_modes = {**HEALTHY, **dead, "modes_captured": None, "modes_total": None}
    assert feed(CollapseAlarm(), [no_modes] * 30, dataset="ring")["kind"] == "d-dead"


def test_oscillation_of_js_fires_and_clears_when_it_settles():
    swinging = [obs(js=0.1 + 0.4 * (i // 3 % 2)) for i in range(60)]  # 0.1 / 0.5 every 3 obs
    alarm = CollapseAlarm()
    out = feed(alarm, swinging)
    assert out["active"] and out["kind"] == "oscillation"
    for i in range(12):  # the last 8 observations can hold a single reversal: not yet calm
        assert feed(alarm, [swinging[i]], start=1200 + 20 * i)["kind"] == "oscillation"
    out = feed(alarm, [obs(js=0.1)] * 10, start=2000)
    assert not out["active"]
    assert not feed(CollapseAlarm(), [obs(js=0.1 + 0.05 * (i % 2)) for i in range(60)])["active"]


def test_oscillation_of_coverage_clears_only_when_coverage_settles():
    """Raised by coverage hopping 8 ↔ 4 while JS holds still: a calm JS alone does not clear it."""
    hopping = [obs(8 if i // 3 % 2 else 4) for i in range(60)]
    alarm = CollapseAlarm()
    out = feed(alarm, hopping)
    assert out["active"] and "oscillation" in out["kinds"]
    for i in range(12):  # still hopping: it stays, not blinking off between two hops
        assert "oscillation" in feed(alarm, [hopping[i]], start=1200 + 20 * i)["kinds"]
    assert not feed(alarm, [obs(8)] * 10, start=2000)["active"]


def test_divergence_names_the_reason():
    alarm = CollapseAlarm()
    feed(alarm, [obs()] * 5)
    out = alarm.update(200, obs(), GanConfig(), "ring8", {"d": math.nan, "g": 0.7})
    assert out["active"] and out["kind"] == "divergence"
    assert "D loss is nan" in out["message"] and "iteration 200" in out["message"]
    out = alarm.update(220, obs(g_grad_norm=3e5), GanConfig(), "ring8", {"d": 1.0, "g": 1.0})
    assert out["kind"] == "divergence" and "exploded" in out["message"]
    assert not alarm.update(240, obs(), GanConfig(), "ring8", {"d": 1.0, "g": 1.0})["active"]


def test_no_mode_alarm_without_discrete_modes():
    m = {**HEALTHY, "modes_captured": None, "modes_total": None}
    assert not feed(CollapseAlarm(), [m] * 40, dataset="ring")["active"]


def test_likely_causes():
    m = {"d_real_acc": 0.6, "d_fake_acc": 0.6}
    assert "minimax" in likely_cause(merged_config(GanConfig(), {"loss": "minimax"}), m)
    assert "too small" in likely_cause(merged_config(GanConfig(), {"noise": {"dim": 1}}), m)
    assert "overpowers" in likely_cause(merged_config(GanConfig(), {"k_d": 10}), m)
    hot_g = merged_config(GanConfig(), {"generator": {"lr": 1.0}, "discriminator": {"lr": 0.1}})
    assert "generator's learning rate" in likely_cause(hot_g, m)


def test_fires_on_fast_sessions_observed_rarely():
    alarm = CollapseAlarm()
    assert feed(alarm, [(8, 0.9)] * 3 + [(2, 0.9)] * 6, step=500)["active"]


def test_does_not_blink_on_one_better_observation():
    alarm = CollapseAlarm()
    feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 30)
    for i, c in enumerate((3, 2, 2, 3, 2)):
        assert alarm.update(2000 + 20 * i, obs(c, 0.9), GanConfig())["active"]
    for i in range(2):  # two observations in a row above the collapsed level: recovered
        out = alarm.update(3000 + 20 * i, obs(5, 0.9), GanConfig())
    assert not out["active"]
