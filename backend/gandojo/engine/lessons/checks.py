"""The check evaluator: a lesson check (model.py) against what was observed of a live session.

Pure functions over an `Observation` (the session's metric history since the step began, the
current config and iteration, the runs that reached a given iteration, the alarms raised and the
slow-motion stages shown), so that the page, the REST API and the headless checker agree.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

from .check_models import (AlarmCheck, CompareCheck, ConfigCheck, ExperimentCheck, ImageMetricCheck,
                           IterationCheck, MetricCheck, SameSeedCheck, StagesCheck)

OPS: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, "<": operator.lt,
                                                  ">=": operator.ge, ">": operator.gt}


@dataclass(frozen=True)
class RunEnd:
    """What one run (a trainer from iteration 0) looked like when it reached `iteration`."""

    run: int  # the run's number within the step
    seed: int
    dataset: str
    config: dict[str, Any]
    iteration: int
    values: dict[str, float | None]  # d_loss, g_loss and the frame metrics

    def config_key(self) -> str:
        return json.dumps(self.config, sort_keys=True)


@dataclass
class Observation:
    iteration: int
    config: dict[str, Any]
    history: dict[str, Any]  # MetricHistory.message() of the session
    since: int = 0  # history points from this iteration on belong to the step
    runs: list[RunEnd] = field(default_factory=list)
    alarms: set[str] = field(default_factory=set)
    stages: set[int] = field(default_factory=set)
    images: dict[str, Any] | None = None  # the newest metrics job result of the step (image sessions)
    experiment: dict[str, Any] | None = None  # the newest retraining experiment result of the step

    def series(self, metric: str) -> list[tuple[int, float | None]]:
        """(iteration, value) of `metric` over the step (losses d_loss/g_loss or a frame metric)."""
        h = self.history
        col = (h.get("losses", {}).get(metric[0]) if metric in ("d_loss", "g_loss")
               else h.get("metrics", {}).get(metric)) or []
        return [(it, v) for it, v in zip(h.get("iteration", []), col) if it >= self.since]


@dataclass(frozen=True)
class Result:
    passed: bool
    detail: str  # what was seen (e.g. "js 0.31 now; held 120 of 300 iterations")


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4g}"


def metric(c: MetricCheck, obs: Observation) -> Result:
    """Passes when some stretch of consecutive recorded points, all satisfying `metric op value`,
    spans at least `window` iterations (one point when the window is 0)."""
    pts, best, start = obs.series(c.metric), 0, None
    if c.within is not None:
        pts = [(it, v) for it, v in pts if it <= c.within]
    ok = OPS[c.op]
    for it, v in pts:
        if v is not None and ok(v, c.value):
            start = it if start is None else start
            best = max(best, it - start)
            if best >= c.window:
                return Result(True, f"{c.metric} {_fmt(v)} at iteration {it}" +
                              (f", held {c.window} iterations" if c.window else ""))
        else:
            start = None
    now = _fmt(pts[-1][1]) if pts else "not measured yet"
    held = f"; held {best} of {c.window} iterations" if c.window and start is not None else ""
    by = f" by iteration {c.within}" if c.within is not None else ""
    return Result(False, f"{c.metric} {now} (want {c.op} {c.value:g}{by}){held}")


def iteration(c: IterationCheck, obs: Observation) -> Result:
    return Result(obs.iteration >= c.at_least, f"iteration {obs.iteration} of {c.at_least}")


def same_seed(c: SameSeedCheck, obs: Observation) -> Result:
    """Two different runs with one seed, dataset and config that reached `iteration` agree."""
    ends = [r for r in obs.runs if r.iteration == c.iteration]
    groups: dict[tuple, list[RunEnd]] = {}
    for r in ends:
        groups.setdefault((r.seed, r.dataset, r.config_key()), []).append(r)
    for (seed, *_), rs in groups.items():
        for i, a in enumerate(rs):
            for b in rs[i + 1:]:
                va, vb = a.values.get(c.metric), b.values.get(c.metric)
                if a.run != b.run and va is not None and vb is not None and abs(va - vb) <= c.tolerance:
                    return Result(True, f"two runs with seed {seed}: {c.metric} {_fmt(va)} and "
                                        f"{_fmt(vb)} at iteration {c.iteration}")
    seen = ", ".join(f"seed {r.seed}: {c.metric} {_fmt(r.values.get(c.metric))}" for r in ends)
    return Result(False, f"runs that reached iteration {c.iteration} from a reset: "
                         f"{len(ends)}" + (f" ({seen})" if seen else ""))


def compare(c: CompareCheck, obs: Observation) -> Result:
    """Runs on one seed and dataset that reached `iteration` cover `distinct` values of `field`."""
    by_seed: dict[tuple, set] = {}
    for r in obs.runs:
        if r.iteration == c.iteration:
            by_seed.setdefault((r.seed, r.dataset), set()).add(json.dumps(r.config.get(c.field)))
    best = max(by_seed.values(), key=len, default=set())
    values = ", ".join(sorted(str(json.loads(v)) for v in best))
    return Result(len(best) >= c.distinct, f"{len(best)} of {c.distinct} values of {c.field} on "
                                           f"one seed reached iteration {c.iteration}"
                                           + (f" ({values})" if values else ""))


def stages(c: StagesCheck, obs: Observation) -> Result:
    missing = sorted(set(c.stages) - obs.stages)
    return Result(not missing, f"{len(set(c.stages)) - len(missing)} of {len(set(c.stages))} "
                               "slow-motion stages shown" +
                               (f" (missing: {', '.join(map(str, missing))})" if missing else ""))


def alarm(c: AlarmCheck, obs: Observation) -> Result:
    seen = ", ".join(sorted(obs.alarms)) or "none"
    return Result(c.alarm in obs.alarms, f"alarms raised in this step: {seen}")


def config(c: ConfigCheck, obs: Observation) -> Result:
    node: Any = obs.config
    for part in c.path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, tuple):  # a pair (Adam's betas) is a tuple in the config, a list in YAML
        node = list(node)
    same = node == c.equals or (isinstance(node, (int, float)) and isinstance(c.equals, (int, float))
                                and abs(node - c.equals) <= 1e-12 * max(1.0, abs(c.equals)))
    return Result(bool(same), f"{c.path} is {node!r} (want {c.equals!r})")


def _within(patch: dict[str, Any], config: Any) -> bool:
    """Every value of the patch-shaped `patch` is that of `config` (pairs: lists or tuples)."""
    if not isinstance(config, dict):
        return False
    return all(_within(v, config.get(k)) if isinstance(v, dict) else
               (list(config[k]) if isinstance(config.get(k), tuple) else config.get(k)) == v
               for k, v in patch.items())


def _image_value(c: ImageMetricCheck, m: dict[str, Any]) -> float | None:
    """The checked number of a metrics job result: plain, DRS-filtered, or DRS minus plain."""
    if c.with_config is not None and not _within(c.with_config, m.get("config")):
        return None
    if not c.drs:
        return m.get(c.metric)
    d = m.get("drs") or {}
    v, plain = d.get(c.metric), m.get(c.metric)
    if not c.versus_plain or v is None:
        return v
    return None if plain is None else v - plain


def image_metric(c: ImageMetricCheck, obs: Observation) -> Result:
    """The newest metrics job of the step (on at least `n` samples) gives `metric op value`."""
    m = obs.images
    v = None if m is None or (m.get("n") or 0) < c.n else _image_value(c, m)
    name = ("DRS " if c.drs else "") + c.metric + (" − plain" if c.versus_plain else "")
    if v is None:
        why = ("not measured yet" if m is None else "measured with other settings than "
               f"{c.with_config}" if (m.get("n") or 0) >= c.n and c.with_config is not None
               and not _within(c.with_config, m.get("config")) else
               f"not in the last measurement (n={m.get('n')}{', no DRS' if c.drs else ''})")
        return Result(False, f"{name} {why} (want {c.op} {c.value:g})")
    return Result(OPS[c.op](v, c.value), f"{name} {_fmt(v)} at iteration {m.get('iteration')} "
                                         f"({m.get('n')} samples; want {c.op} {c.value:g})")


def experiment(c: ExperimentCheck, obs: Observation) -> Result:
    """The newest retraining experiment of the step (at least `n_train` images per mix) gives the
    `real_percent` mix's test accuracy (minus the `versus` mix's) `op value`."""
    e = obs.experiment
    acc = {round(100 * r["real_fraction"]): r["test_accuracy"] for r in (e or {}).get("mixes", [])}
    name = f"accuracy of the {c.real_percent}/{100 - c.real_percent} mix" + (
        f" − the {c.versus}/{100 - c.versus} mix's" if c.versus is not None else "")
    if e is None or e.get("n_train", 0) < c.n_train or c.real_percent not in acc or (
            c.versus is not None and c.versus not in acc):
        why = ("no experiment run in this step yet" if e is None
               else f"not in the last experiment ({e.get('n_train')} images per mix)")
        return Result(False, f"{name}: {why} (want {c.op} {c.value:g})")
    v = acc[c.real_percent] - (acc[c.versus] if c.versus is not None else 0.0)
    seen = ", ".join(f"{r}/{100 - r}: {a:.3f}" for r, a in sorted(acc.items(), reverse=True))
    return Result(OPS[c.op](v, c.value), f"{name} {v:.3f} at iteration {e.get('iteration')} "
                                         f"(want {c.op} {c.value:g}; {seen})")


EVALUATORS: dict[str, Callable[[Any, Observation], Result]] = {
    "metric": metric, "iteration": iteration, "same_seed": same_seed, "compare": compare,
    "stages": stages, "alarm": alarm, "config": config, "image_metric": image_metric,
    "experiment": experiment}


def evaluate(check: Any, obs: Observation) -> Result:
    """The result of any lesson check on `obs`."""
    return EVALUATORS[check.kind](check, obs)
