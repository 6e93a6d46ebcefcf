"""The mode-collapse lab's 5-seed acceptance (issue 13): one JSON object on stdout.

Per preset (mode_metrics — share and spread — on 2500 generator samples after the preset's
iterations): every provocation leaves modes uncaptured and every cure preset and the balanced
presets of gaussians and disjoint capture every mode, each in at least 4 of 5 seeds (ring8's and
grid25's balanced presets do not reach full coverage and are not part of it: name them to see).
A preset's seeds train as one BatchedTrainer where its config allows (each member draws exactly
its solo batches, gan/batched.py), else solo.
`--trace N` also records the modes captured every N iterations (how soon a property shows: the
budgets of the cheaper checks in tests/gan/test_presets.py come from such a run). Exit status 1
when a preset fails. ~4 CPU-minutes (one thread); `make accept` runs it with accept_knobs.py.

    .venv/bin/python benchmarks/accept_presets.py [--seeds 5] [--trace 100] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import common  # noqa: F401  (puts the checkout's backend/ on sys.path when not installed)
import torch

from gandojo.gan.batched import train_together
from gandojo.gan.datasets import get_dataset
from gandojo.gan.metrics import mode_metrics
from gandojo.gan.models import sample_noise
from gandojo.gan.presets import PRESETS
from gandojo.gan.trainer import Trainer2D

SAMPLES = 2500
QUORUM = 4  # of 5 seeds


def captured(t: Trainer2D, seed: int) -> int:
    """Modes `t` captures on 2500 samples (noise seed 1000 + seed, as the tests draw them)."""
    ds = t.dataset
    with torch.no_grad():
        x = t.G(sample_noise(SAMPLES, t.config.noise, torch.Generator().manual_seed(1000 + seed)))
    return mode_metrics(x, ds.means, ds.stds).modes_captured




def run(name: str, seeds: range, trace: int | None) -> dict:
    p = PRESETS[name]
    ds = get_dataset(p.datasets[0])
    ts = [Trainer2D(ds, p.config(), s) for s in seeds]
    t0, done, history = time.perf_counter(), 0, {}
    while done < p.iterations:
        step = min(trace or p.iterations, p.iterations - done)
        train_together(ts, step)
        done += step
        if trace:
            history[done] = [captured(t, s) for t, s in zip(ts, seeds)]
    modes = [captured(t, s) for t, s in zip(ts, seeds)]
    total = ds.modes_total
    good = [m < total for m in modes] if p.kind == "provocation" else [m == total for m in modes]
    out = {"kind": p.kind, "dataset": p.datasets[0], "iterations": p.iterations,
           "modes_total": total, "modes_captured": modes,
           "ok": sum(good) >= QUORUM if len(seeds) >= QUORUM else all(good),
           "seconds": round(time.perf_counter() - t0, 1)}
    if trace:
        out["trace"] = history
    return out


def accepted() -> list[str]:
    """The presets it covers: provocations, cures, the balanced ones of gaussians and disjoint."""
    return [n for n, p in PRESETS.items() if p.kind in ("provocation", "cure")
            or n in ("gaussians-balanced", "disjoint-balanced")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("names", nargs="*", help="presets to check (default: every non-default one)")
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    ap.add_argument("--trace", type=int, default=None,
                    help="also record the modes captured every N iterations")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    names = args.names or accepted()
    report = {}
    for n in names:
        report[n] = run(n, range(args.seeds), args.trace)
        print(json.dumps({n: report[n]}), file=sys.stderr, flush=True)  # progress
    ok = all(r["ok"] for r in report.values())
    print(json.dumps({"presets": report, "seeds": args.seeds, "quorum": QUORUM, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
