"""Watching real training with the alarm: seeds trained together, observed as a session frames them.

`watch` trains one Trainer2D per seed (as one BatchedTrainer where the config allows; each member
draws exactly its solo batches), and every `observe` iterations computes the metrics a session's
frame carries (engine/frames.py) and feeds each seed's CollapseAlarm. `changes` pulls knobs (or
applies partial configs) live at given iterations, as the page does. Used by the real-run alarm
tests (tests/engine/test_alarm_real.py) and benchmarks/accept_alarms.py.

`ALARM_PROVOCATIONS` are the constructed failures those check: a config, the seeds it provokes
the alarm on, and the knob the alarm's advice names as the cure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..gan import probes
from ..gan.batched import train_together
from ..gan.config import GanConfig, merged_config
from ..gan.datasets import get_dataset
from ..gan.presets import KNOBS
from ..gan.trainer import Trainer2D
from .alarm import CollapseAlarm
from .frames import ProbeSet
from .frames import _metrics as frame_metrics


@dataclass(frozen=True)
class Observation:
    iteration: int
    metrics: dict[str, Any]
    report: dict[str, Any]  # the alarm's report after this observation

    def raised(self, kind: str) -> bool:
        return bool(self.report["active"]) and kind in self.report["kinds"]


def _apply(t: Trainer2D, change: str | tuple | dict) -> None:
    """A knob's name, several knobs' names (pulled in order), or a partial config."""
    for c in (change if isinstance(change, tuple) else (change,)):
        patch = KNOBS[c].patch(t.config) if isinstance(c, str) else c
        t.apply_config(merged_config(t.config, patch))




def watch(dataset: str, cfg: GanConfig, iterations: int, seeds: list[int] | range,
          observe: int = 50, changes: dict[int, str | tuple | dict] | None = None
          ) -> list[list[Observation]]:
    """Per seed, the observations at iterations 0, observe, 2·observe, … up to `iterations`."""
    ds = get_dataset(dataset)
    ts = [Trainer2D(ds, cfg, s) for s in seeds]
    probes_, alarms = [ProbeSet(t) for t in ts], [CollapseAlarm() for _ in ts]
    out: list[list[Observation]] = [[] for _ in ts]
    for i in range(0, iterations + 1, observe):
        if changes and i in changes:
            for t in ts:
                _apply(t, changes[i])
        for t, ps, alarm, rows in zip(ts, probes_, alarms, out):
            fake, d_fake, _ = probes.fakes_with_gradients(t, ps.z)
            m = frame_metrics(t, ps, fake, d_fake)
            rows.append(Observation(t.iteration, m, alarm.update(t.iteration, m, t.config,
                                                                  dataset, t.losses())))
        train_together(ts, min(observe, iterations - i))
    return out


@dataclass(frozen=True)
class AlarmProvocation:
    kind: str  # the alarm it raises
    dataset: str
    patch: dict[str, Any]
    seeds: tuple[int, ...]  # seeds the test runs, batched (the benchmark runs 5)
    raise_by: int  # iteration by which the alarm has sounded
    cure: str | tuple  # the knob(s) the alarm's advice names, pulled at cure_at
    cure_at: int
    iterations: int
    why: str

    def config(self) -> GanConfig:
        return merged_config(GanConfig(), self.patch)


ALARM_PROVOCATIONS: dict[str, AlarmProvocation] = {
    "d-wins": AlarmProvocation(
        "d-wins", "ring8",
        {"loss": "minimax", "discriminator": {"hidden_layers": 2, "neurons": 32,
                                              "optimizer": "adam", "lr": 0.03},
         "generator": {"lr": 1e-4}, "k_d": 2, "batch_size": 64},
        (0,), 400, "nonsaturating-loss", 400, 550,
        "The saturating minimax loss against a D 300x faster than G (Adam 3e-2, 2 D steps per "
        "G step, G SGD 1e-4): G's first fakes miss the ring, D rejects them with certainty "
        "(mean D(fake) ~1e-3) and log(1 - D(G(z))) passes G only D(fake) of the gradient."),
    "oscillation": AlarmProvocation(
        "oscillation", "disjoint",
        {"generator": {"hidden_layers": 2, "neurons": 32, "optimizer": "adam", "lr": 5e-3,
                       "betas": (0.9, 0.999)},
         "discriminator": {"hidden_layers": 2, "neurons": 32, "optimizer": "adam", "lr": 5e-3,
                           "betas": (0.9, 0.999)},
         "k_d": 1, "batch_size": 64},
        (2, 4), 1300, ("g-lr-div10", "d-lr-div10"), 1500, 2100,
        "G and D both on Adam at 5e-3 with momentum β1 0.9 (25x the balanced G lr): each "
        "overshoots the other's last move, so G's fakes sweep onto the data and off again and JS "
        "swings by 0.2-0.3 bits every few hundred iterations."),
}
