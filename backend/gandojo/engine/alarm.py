"""The collapse alarm: watches mode metrics over iterations and names the likely cause."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..gan.config import GanConfig

WINDOW = 300  # iterations a collapse must last before the alarm sounds
MIN_OBSERVATIONS = 4
MIN_QUALITY = 0.5


def likely_cause(cfg: GanConfig, metrics: dict[str, Any]) -> str:
    """The most probable reason for a collapse, from the config and D's accuracy."""
    d, g = cfg.discriminator, cfg.generator
    d_acc = min(metrics.get("d_real_acc") or 0.0, metrics.get("d_fake_acc") or 0.0)
    if cfg.loss == "minimax":
        return ("saturating minimax loss: where D is confident G's gradient vanishes, so G "
                "piles onto the few places D still accepts; switch to the non-saturating loss")
    if cfg.noise.dim == 1 or g.neurons <= 4 or g.hidden_layers == 0:
        return ("the generator is too small (tiny G or 1D noise) to spread its mass over all "
                "modes; widen G or raise the noise dimension")
    if d.lr >= 5 * g.lr or cfg.k_d >= 3 * cfg.k_g or d_acc > 0.95:
        return ("the discriminator overpowers the generator (high D lr / kD ≫ kG): G is pushed "
                "from mode to mode; lower D's lr or kD, or add instance noise")
    if g.lr >= 5 * d.lr:
        return ("the generator's learning rate is too high: it overshoots and hops between "
                "modes; lower G's lr")
    return ("G found a few modes D cannot tell apart yet; try a cure: PacGAN packing, "
            "unrolled D, instance noise or a WGAN-GP / LSGAN loss")


@dataclass
class CollapseAlarm:
    """Sounds when fewer modes are captured for a sustained window while quality stays high.

    A healthy run whose coverage is still rising does not sound it: the window must show no
    improvement, and coverage must be at most half the modes or below the best seen so far. The
    window is `window` iterations or the last MIN_OBSERVATIONS observations, whichever is longer
    (fast sessions observe rarely in iterations). Once sounding, it stops only when coverage really
    recovers (all modes, or two observations in a row above the collapsed level): no blinking.
    """

    window: int = WINDOW
    history: deque = field(default_factory=lambda: deque(maxlen=1024))
    best: int = 0
    active: bool = False
    since: int | None = None
    level: int = 0  # modes captured when the alarm sounded

    def reset(self) -> None:
        self.history.clear()
        self.best, self.active, self.since, self.level = 0, False, None, 0

    def update(self, iteration: int, metrics: dict[str, Any], cfg: GanConfig) -> dict[str, Any] | None:
        captured, total, hq = (metrics.get(k) for k in ("modes_captured", "modes_total", "high_quality"))
        if captured is None or total is None:
            return None
        self.history.append((iteration, captured, hq or 0.0))
        self.best = max(self.best, captured)
        recent = [h for h in self.history if h[0] >= iteration - self.window]
        if len(recent) < MIN_OBSERVATIONS:
            recent = list(self.history)[-MIN_OBSERVATIONS:]
        if self.active and not self._recovered(captured, total):
            return self._report(iteration, captured, total, metrics, cfg)
        spans = iteration - recent[0][0] >= self.window * 0.9
        collapsed = (
            spans and len(recent) >= MIN_OBSERVATIONS
            and all(c < total for _, c, _ in recent)
            and max(c for _, c, _ in recent) <= recent[0][1]
            and (captured <= total // 2 or captured < self.best)
            and sorted(q for _, _, q in recent)[len(recent) // 2] >= MIN_QUALITY
        )
        if collapsed and not self.active:
            self.since, self.level = recent[0][0], captured
        self.active = bool(collapsed)
        if not self.active:
            self.since = None
            return {"active": False}
        return self._report(iteration, captured, total, metrics, cfg)

    def _recovered(self, captured: int, total: int) -> bool:
        last = [c for _, c, _ in list(self.history)[-2:]]
        return captured >= total or (len(last) == 2 and min(last) > self.level)

    def _report(self, iteration: int, captured: int, total: int, metrics: dict[str, Any],
                cfg: GanConfig) -> dict[str, Any]:
        return {"active": True, "since": self.since, "modes_captured": captured,
                "modes_total": total, "cause": likely_cause(cfg, metrics),
                "message": f"Mode collapse: only {captured} of {total} modes captured for "
                           f"{iteration - self.since} iterations while samples stay sharp."}
