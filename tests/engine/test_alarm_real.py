"""The d-wins and oscillation alarms on real training of constructed provocations (issue 13).

Each test trains the provocation of engine/alarm_watch.py (small nets, small batches, a few
hundred iterations), checks that its alarm sounds with its evidence, that the knob its advice names
cures the run on that dataset, and that the alarm clears only once the metric that raised it is
healthy again. The 5-seed figures: `python benchmarks/accept_alarms.py`.
"""

from gandojo.engine.alarm import D_ACC_WIN, SATURATED, SWING, SWINGS, WARMUP, _swings
from gandojo.engine.advice import advice
from gandojo.engine.alarm_watch import ALARM_PROVOCATIONS, watch
from gandojo.gan.presets import KNOBS


def provoke(kind: str):
    p = ALARM_PROVOCATIONS[kind]
    runs = watch(p.dataset, p.config(), p.iterations, p.seeds, changes={p.cure_at: p.cure})
    return p, runs


def test_d_wins_sounds_on_a_saturated_minimax_run_and_the_non_saturating_loss_cures_it():
    p, runs = provoke("d-wins")
    for rows in runs:
        before = [o for o in rows if o.iteration < p.cure_at]
        at = next(o for o in before if o.raised("d-wins"))
        assert at.iteration <= p.raise_by
        m = at.metrics  # the evidence: D right on (nearly) every sample, G's gradient saturated
        assert min(m["d_real_acc"], m["d_fake_acc"]) >= D_ACC_WIN and m["d_fake_mean"] < SATURATED
        msg, cause = at.report["message"], at.report["cause"]
        assert msg.startswith("The discriminator wins") and "D(fake)" in msg
        assert "non-saturating loss" in cause and KNOBS[p.cure].label in cause
        # while the provocation runs on, the alarm stays (no blinking)
        assert all(o.raised("d-wins") for o in before if o.iteration >= at.iteration)
        after = [o for o in rows if o.iteration > p.cure_at]
        # the cure: G's gradient is back at once and G moves onto the data
        g_before = max(o.metrics["g_grad_norm"] for o in before[-3:])
        assert after[0].metrics["g_grad_norm"] > 10 * g_before
        assert after[-1].metrics["js"] < before[-1].metrics["js"] - 0.05
        # cleared only with its metric healthy: never while D still wins and G's gradient vanishes
        for o in after:
            assert not o.raised("d-wins")
            assert (min(o.metrics["d_real_acc"], o.metrics["d_fake_acc"]) < 0.9
                    or o.metrics["g_grad_norm"] >= 1e-2)


def test_oscillation_sounds_on_a_run_with_momentum_and_high_lrs_and_lower_lrs_calm_it():
    """Raised beside the dropping/collapse these runs also show (the banner's message carries both
    kinds' evidence); each clearing happens with JS calm, and once both lrs are ÷10 it stays off."""
    p, runs = provoke("oscillation")
    for rows in runs:
        before = [o for o in rows if o.iteration < p.cure_at]
        at = next(o for o in before if o.raised("oscillation"))
        assert WARMUP <= at.iteration <= p.raise_by
        # the evidence: JS swung by >= SWING bits at least SWINGS times since iteration 500
        js = [o.metrics["js"] for o in rows if WARMUP // 2 <= o.iteration <= at.iteration]
        assert _swings(js, SWING) >= SWINGS
        assert "Training oscillates" in at.report["message"]
        # the advice for it names the knobs this test pulls (the banner shows the most severe
        # kind's; engine/advice.py gives each kind's)
        cause = advice("oscillation", p.config(), at.metrics, p.dataset)
        assert all(f"“{KNOBS[k].label}”" in cause for k in p.cure)
        for k in range(1, len(rows)):  # every clearing: fewer than 2 JS reversals just before
            if rows[k - 1].raised("oscillation") and not rows[k].raised("oscillation"):
                calm = [o.metrics["js"] for o in rows[max(0, k - 7):k + 1]]
                assert _swings(calm, SWING) < 2, rows[k].iteration
        after = [o for o in rows if o.iteration > p.cure_at]
        off = next(i for i, o in enumerate(after) if not o.raised("oscillation"))
        assert not any(o.raised("oscillation") for o in after[off:])
        settled = [o.metrics["js"] for o in after[off:]]
        assert len(settled) >= 8 and max(settled) - min(settled) < 2 * SWING
