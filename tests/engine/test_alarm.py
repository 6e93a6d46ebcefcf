"""Collapse alarm: fires on a constructed collapse, stays quiet on healthy or improving runs."""

from gandojo.engine.alarm import CollapseAlarm, likely_cause
from gandojo.gan.config import GanConfig, merged_config


def feed(alarm, series, cfg=GanConfig(), step=20):
    out = None
    for i, (captured, hq) in enumerate(series):
        out = alarm.update(i * step, {"modes_captured": captured, "modes_total": 8,
                                      "high_quality": hq, "d_real_acc": 0.6, "d_fake_acc": 0.6}, cfg)
    return out


def test_fires_on_sustained_collapse_with_sharp_samples():
    alarm = CollapseAlarm()
    out = feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 30)
    assert out["active"] and out["modes_captured"] == 2 and out["cause"]
    assert "2 of 8" in out["message"]


def test_quiet_on_healthy_run():
    assert not feed(CollapseAlarm(), [(8, 0.9)] * 40)["active"]


def test_quiet_while_coverage_still_rises():
    series = [(min(8, 1 + i // 5), 0.8) for i in range(40)]
    assert not feed(CollapseAlarm(), series)["active"]


def test_quiet_early_when_samples_are_blurry():
    assert not feed(CollapseAlarm(), [(1, 0.05)] * 40)["active"]


def test_needs_a_sustained_window():
    alarm = CollapseAlarm()
    assert not feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 5)["active"]


def test_recovers_when_modes_come_back():
    alarm = CollapseAlarm()
    feed(alarm, [(8, 0.9)] * 10 + [(2, 0.9)] * 30)
    assert alarm.active
    alarm.update(10_000, {"modes_captured": 8, "modes_total": 8, "high_quality": 0.9}, GanConfig())
    assert not alarm.active


def test_no_alarm_without_discrete_modes():
    assert CollapseAlarm().update(0, {"modes_captured": None, "modes_total": None}, GanConfig()) is None


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
    series = [(3, 0.9), (2, 0.9), (2, 0.9), (3, 0.9), (2, 0.9)]
    for i, (c, q) in enumerate(series):
        out = alarm.update(2000 + 20 * i, {"modes_captured": c, "modes_total": 8, "high_quality": q},
                           GanConfig())
        assert out["active"]
    for i in range(2):  # two observations in a row above the collapsed level: recovered
        out = alarm.update(3000 + 20 * i, {"modes_captured": 5, "modes_total": 8, "high_quality": 0.9},
                           GanConfig())
    assert not out["active"]
