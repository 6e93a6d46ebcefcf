"""The alarms: watch a session's metrics over iterations and name each way a GAN fails.

Kinds (frame header `alarm.kind`, the websocket `alarm` message), each raised on its evidence:
- `collapse`: modes missing (below the best seen, or after COLLAPSE_WARMUP iterations ≤ half) and not
  improving for a sustained window while the samples stay sharp (median high quality ≥ MIN_QUALITY);
- `dropping`: modes missing *and* quality low (median < MIN_QUALITY) for a sustained window after
  WARMUP iterations (a collapse whose fakes went blurry is still a failure, not a cure);
- `d-wins`: D ≥ 98 % right on real and on fake while G's gradients vanish: its gradient norm
  < VANISH, or the loss saturates (minimax passes G only D(fake) of the gradient: mean D(fake)
  < SATURATED, i.e. G gets under 1 % of what the non-saturating loss would give it);
- `d-dead`: D cannot tell real from fake (its mean output on each within D_SAME) while the
  distributions still differ (JS ≥ JS_HIGH bits), over two windows;
- `oscillation`: after WARMUP, JS (or coverage) swinging up and down by ≥ SWING (a quarter of
  the modes) at least SWINGS times within OSC_WINDOW iterations (early transients not counted);
- `divergence`: a NaN/inf loss or metric, or a gradient norm above EXPLODE; the session pauses.
A raised alarm clears only when the metric that raised it is healthy again (coverage back for a
collapse, whatever happens to quality; D's outputs apart again for a dead D; …). The window is
`window` iterations or the last MIN_OBSERVATIONS observations, whichever is longer.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..gan.config import GanConfig
from .advice import advice, collapse_cause

WINDOW = 300  # iterations a failure must last before its alarm sounds
OSC_WINDOW = 1500  # iterations over which swings are counted
MIN_OBSERVATIONS = 4
MIN_QUALITY = 0.5
WARMUP = 1000  # `dropping` waits this long: early fakes are blurry and miss modes by nature
COLLAPSE_WARMUP = 500  # before this, only a fall from better coverage counts as a collapse
D_ACC_WIN = 0.98
VANISH = 1e-3  # G's gradient norm (parameters) below this counts as vanished
SATURATED = 0.01  # minimax: mean D(fake) below this, G's loss gradient has all but vanished
D_SAME = 0.015  # |mean D(real) - mean D(fake)| below this: D does not tell them apart
# (GAN Lab's weak default D stays 0.02-0.05 apart for its first 1000 iterations: not dead)
JS_HIGH = 0.2  # bits; two samples of one distribution score ~0.02 on the metric grid
SWING, SWINGS = 0.15, 4  # bits of JS per swing, reversals needed
EXPLODE = 1e4
PRIORITY = ("divergence", "d-dead", "d-wins", "dropping", "collapse", "oscillation")  # causes first


def likely_cause(cfg: GanConfig, metrics: dict[str, Any]) -> str:
    """The most probable reason for a collapse (see advice.collapse_cause)."""
    return collapse_cause(cfg, metrics)[0]


def _num(m: dict[str, Any], key: str) -> float | None:
    v = m.get(key)
    return float(v) if isinstance(v, (int, float)) else None


def _swings(values: list[float], amplitude: float) -> int:
    """Direction reversals of a series, counting only moves of at least `amplitude` (hysteresis)."""
    if not values:
        return 0
    turns, direction, anchor = 0, 0, values[0]
    for v in values[1:]:
        if direction >= 0 and v <= anchor - amplitude:
            turns, direction, anchor = turns + (direction > 0), -1, v
        elif direction <= 0 and v >= anchor + amplitude:
            turns, direction, anchor = turns + (direction < 0), 1, v
        elif (direction > 0 and v > anchor) or (direction < 0 and v < anchor):
            anchor = v  # the extreme of the current move
    return turns


def _vanishing(cfg: GanConfig, m: dict, margin: float = 1.0) -> bool:
    """Whether G's gradients have vanished (`margin` > 1: by that factor, to clear with hysteresis)."""
    if (_num(m, "g_grad_norm") or 0.0) < VANISH * margin:
        return True
    fake = _num(m, "d_fake_mean")
    return cfg.loss == "minimax" and fake is not None and fake < SATURATED * margin ** 0.5


@dataclass
class CollapseAlarm:
    """All alarm kinds of one session (the name is kept from when collapse was the only one)."""

    window: int = WINDOW
    history: deque = field(default_factory=lambda: deque(maxlen=2048))
    best: int = 0
    raised: dict = field(default_factory=dict)  # kind -> (since, level)
    cleared: dict = field(default_factory=dict)  # kind -> iteration it last cleared at

    @property
    def active(self) -> bool:
        return bool(self.raised)

    @property
    def diverged(self) -> bool:
        """Divergence seen twice in a row (one spike of a gradient norm does not pause a run)."""
        return self.raised.get("divergence", (0, 0))[1] >= 2

    def reset(self) -> None:
        self.history.clear()
        self.best = 0
        self.raised = {}
        self.cleared = {}

    # ------------------------------------------------------------------ evidence
    def _recent(self, iteration: int, span: int) -> list[tuple[int, dict]]:
        recent = [h for h in self.history if h[0] >= iteration - span]
        if len(recent) < MIN_OBSERVATIONS:
            recent = list(self.history)[-MIN_OBSERVATIONS:]
        return recent

    def _sustained(self, recent: list, iteration: int) -> bool:
        return len(recent) >= MIN_OBSERVATIONS and iteration - recent[0][0] >= self.window * 0.9

    def _diverged(self, m: dict, losses: dict | None) -> str | None:
        for part, v in (losses or {}).items():
            if v is not None and not math.isfinite(v):
                return f"{part.upper()} loss is {v}"
        if m.get("js", 0) is None and m.get("kl", 0) is None:
            return "the fakes are not finite numbers (KL/JS cannot be computed)"
        for key in ("d_grad_norm", "g_grad_norm"):
            v = m.get(key, 0.0)
            if key in m and v is None:
                return f"{key[0].upper()}'s gradient norm is not finite"
            if v is not None and v > EXPLODE:
                return f"{key[0].upper()}'s gradient norm exploded to {v:.3g} (> {EXPLODE:g})"
        return None

    def _raise_now(self, kind: str, iteration: int, m: dict, total: int | None,
                   cfg: GanConfig) -> bool:
        recent = self._recent(iteration, self.window)
        if not self._sustained(recent, iteration):
            return False
        ms = [h[1] for h in recent]
        cov = [x.get("modes_captured") for x in ms]
        hq = sorted(_num(x, "high_quality") or 0.0 for x in ms)[len(ms) // 2]
        if kind in ("collapse", "dropping"):
            if total is None or any(c is None or c >= total for c in cov):
                return False
            if kind == "dropping":
                return iteration >= WARMUP and hq < MIN_QUALITY
            captured = cov[-1]  # early on only a fall from better coverage counts: a run
            # that has not found every mode yet is still learning, not collapsing
            low = captured < self.best or (captured <= total // 2 and iteration >= COLLAPSE_WARMUP)
            return max(cov) <= cov[0] and low and hq >= MIN_QUALITY
        if kind == "d-wins":
            return all(min(_num(x, "d_real_acc") or 0, _num(x, "d_fake_acc") or 0) >= D_ACC_WIN
                       and _vanishing(cfg, x) for x in ms)
        if kind == "d-dead":  # over two windows: a weak D is briefly this blind early on
            wide = self._recent(iteration, 2 * self.window)
            return iteration - wide[0][0] >= 1.8 * self.window and all(
                self._d_blind(h[1]) for h in wide)
        if kind == "oscillation":  # after the warm-up, counting swings after its first half
            if iteration < WARMUP:  # and after the last time it cleared (new swings only)
                return False
            start = max(WARMUP // 2, self.cleared.get(kind, 0))
            wide = [h[1] for h in self._recent(iteration, OSC_WINDOW) if h[0] >= start]
            if self._calm(iteration, total):  # swinging now, not only earlier in the window
                return False
            js = [_num(x, "js") for x in wide]
            if len(wide) >= 2 * SWINGS and None not in js and _swings(js, SWING) >= SWINGS:
                return True
            c = [x.get("modes_captured") for x in wide]
            return bool(total) and None not in c and len(c) >= 2 * SWINGS and _swings(
                [float(v) for v in c], max(1.0, total / 4)) >= SWINGS
        return False

    @staticmethod
    def _d_blind(m: dict) -> bool:
        r, f, js = _num(m, "d_real_mean"), _num(m, "d_fake_mean"), _num(m, "js")
        return r is not None and f is not None and js is not None and abs(r - f) < D_SAME \
            and js >= JS_HIGH

    def _healthy(self, kind: str, iteration: int, m: dict, total: int | None, level: int,
                 cfg: GanConfig) -> bool:
        last = [h[1] for h in list(self.history)[-2:]]
        if kind == "collapse":  # coverage back: all modes, or twice in a row above the level
            cov = [x.get("modes_captured") or 0 for x in last]
            return cov[-1] >= (total or 0) or (len(cov) == 2 and min(cov) > level)
        if kind == "dropping":  # coverage back as above, and quality back too
            return self._healthy("collapse", iteration, m, total, level, cfg) and all(
                (_num(x, "high_quality") or 0.0) >= MIN_QUALITY for x in last)
        if kind == "d-wins":  # D no longer (nearly) always right, or G's gradient is back
            return (min(_num(m, "d_real_acc") or 0, _num(m, "d_fake_acc") or 0) < 0.9
                    or not _vanishing(cfg, m, margin=10.0))
        if kind == "d-dead":
            return len(last) == 2 and not any(self._d_blind(x) for x in last)
        if kind == "oscillation":
            return self._calm(iteration, total)
        return False

    def _calm(self, iteration: int, total: int | None) -> bool:
        """JS and coverage calm over a window (at least 8 observations): under 2 reversals."""
        recent = [h[1] for h in self.history if h[0] >= iteration - self.window]
        if len(recent) < 2 * SWINGS:
            recent = [h[1] for h in self.history][-2 * SWINGS:]
        js = [_num(x, "js") for x in recent]
        cov = [x.get("modes_captured") for x in recent]
        calm_cov = not total or None in cov or _swings([float(c) for c in cov],
                                                       max(1.0, total / 4)) < 2
        return None not in js and _swings(js, SWING) < 2 and calm_cov

    # ------------------------------------------------------------------ update
    def update(self, iteration: int, metrics: dict[str, Any], cfg: GanConfig,
               dataset: str | None = None, losses: dict | None = None) -> dict[str, Any] | None:
        """Take one observation; the current alarm report ({"active": False} when quiet)."""
        total = metrics.get("modes_total")
        captured = metrics.get("modes_captured")
        reason = self._diverged(metrics, losses)
        if reason is not None:
            since, seen = self.raised.get("divergence", (iteration, 0))
            self.raised["divergence"] = (since, seen + 1)
            return self._report("divergence", iteration, metrics, cfg, dataset, reason)
        self.raised.pop("divergence", None)
        self.history.append((iteration, dict(metrics)))
        if captured is not None:
            self.best = max(self.best, captured)
        for kind in PRIORITY[1:]:
            if kind in self.raised:
                since, level = self.raised[kind]
                if self._healthy(kind, iteration, metrics, total, level, cfg):
                    del self.raised[kind]
                    self.cleared[kind] = iteration
            elif self._raise_now(kind, iteration, metrics, total, cfg):
                recent = self._recent(iteration, self.window)
                self.raised[kind] = (recent[0][0], captured or 0)
        if "dropping" in self.raised and "collapse" in self.raised:
            del self.raised["collapse"]  # one failure: the fakes went blurry, modes still missing
        if not self.raised:
            return {"active": False, "kind": None}
        kind = next(k for k in PRIORITY if k in self.raised)
        return self._report(kind, iteration, metrics, cfg, dataset)

    def _report(self, kind: str, iteration: int, m: dict, cfg: GanConfig, dataset: str | None,
                reason: str | None = None) -> dict[str, Any]:
        since = self.raised[kind][0]
        captured, total = m.get("modes_captured"), m.get("modes_total")
        span = iteration - since
        pct = lambda v: "–" if v is None else f"{100 * v:.0f} %"  # noqa: E731
        js = _num(m, "js")
        js_s = "–" if js is None else f"{js:.2f} bits"
        messages = {
            "collapse": f"Mode collapse: only {captured} of {total} modes captured for {span} "
                        f"iterations while samples stay sharp (high quality "
                        f"{pct(_num(m, 'high_quality'))}).",
            "dropping": f"Modes dropped and samples off the data: {captured} of {total} modes, "
                        f"high quality {pct(_num(m, 'high_quality'))}, for {span} iterations.",
            "d-wins": f"The discriminator wins: D right on {pct(_num(m, 'd_real_acc'))} of reals "
                      f"and {pct(_num(m, 'd_fake_acc'))} of fakes, mean D(fake) "
                      f"{_num(m, 'd_fake_mean') or 0:.1e}, G's gradient norm "
                      f"{_num(m, 'g_grad_norm') or 0:.1e}, for {span} iterations.",
            "d-dead": f"The discriminator is blind: mean D(real) {_num(m, 'd_real_mean') or 0:.3f} "
                      f"vs D(fake) {_num(m, 'd_fake_mean') or 0:.3f} while JS is {js_s}, for "
                      f"{span} iterations.",
            "oscillation": f"Training oscillates: JS (or coverage) keeps swinging (now {js_s}) "
                           f"over the last {min(OSC_WINDOW, iteration)} iterations.",
            "divergence": f"Training diverged at iteration {iteration}: {reason}.",
        }
        kinds = [k for k in PRIORITY if k in self.raised]
        also = "".join(f" Also: {messages[k]}" for k in kinds if k != kind)  # every kind's evidence
        return {"active": True, "kind": kind, "kinds": kinds,
                "since": since, "modes_captured": captured, "modes_total": total,
                "cause": advice(kind, cfg, m, dataset), "message": messages[kind] + also}
