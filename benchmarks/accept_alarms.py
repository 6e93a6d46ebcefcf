"""Issue 13's acceptance tables over 5 seeds, as one JSON object on stdout.

`presets`: for every dataset with modes, each provocation preset → its cure preset, the modes
captured per seed (measured by accept_presets.run: mode_metrics on 2500 generator samples after
the preset's iterations) and whether the pair passes (the provocation leaves modes missing and the
cure captures every mode, each in >= 4 of 5 seeds); ring8 and grid25 list none (withdrawn).
`withdrawn` (--withdrawn, ~40 min here): their balanced recipes' modes per seed at longer budgets.
`alarms`: for each real-run alarm provocation (engine/alarm_watch.py), per seed: the iteration
its alarm sounded before the cure (None: it did not), whether it was on after the cure its advice
names, the iteration from which it stayed off, and the evidence when it sounded and at the end.

    .venv/bin/python benchmarks/accept_alarms.py [--only presets|alarms] [--withdrawn] [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import accept_presets  # (also puts the checkout's backend/ on sys.path via common)
import torch

from gandojo.engine.alarm_watch import ALARM_PROVOCATIONS, watch
from gandojo.gan.batched import train_together
from gandojo.gan.datasets import get_dataset
from gandojo.gan.presets import PRESETS
from gandojo.gan.trainer import Trainer2D

MODE_DATASETS = ("gaussians", "disjoint", "ring8", "grid25")
# recipes tried for ring8 / grid25 (no provocation offered there): preset, budgets to measure at
WITHDRAWN = {"ring8": ("ring8-balanced", (1500, 3000, 6000)),
             "grid25": ("grid25-balanced", (4000, 8000))}


def preset_table(seeds: range) -> dict:
    """Per dataset with modes: each provocation → its cure, modes captured per seed."""
    out: dict = {}
    for ds in MODE_DATASETS:
        pairs = []
        for cure in (p for p in PRESETS.values() if p.kind == "cure" and ds in p.datasets):
            prov = accept_presets.run(cure.cures, seeds, None)
            fix = accept_presets.run(cure.name, seeds, None)
            pairs.append({"provocation": cure.cures, "cure": cure.name,
                          "modes_total": prov["modes_total"],
                          "provocation_modes": prov["modes_captured"],
                          "cure_modes": fix["modes_captured"],
                          "iterations": [prov["iterations"], fix["iterations"]],
                          "pass": prov["ok"] and fix["ok"]})
            print(json.dumps(pairs[-1]), file=sys.stderr, flush=True)
        out[ds] = pairs
    return out


def withdrawn_table(seeds: range) -> dict:
    """The best recipe tried on each dataset without a provocation: modes per seed by budget."""
    out = {}
    for ds, (name, budgets) in WITHDRAWN.items():
        ts = [Trainer2D(get_dataset(ds), PRESETS[name].config(), s) for s in seeds]
        done, rows = 0, {}
        for b in budgets:
            train_together(ts, b - done)
            done = b
            rows[b] = [accept_presets.captured(t, s) for t, s in zip(ts, seeds)]
            print(json.dumps({ds: {b: rows[b]}}), file=sys.stderr, flush=True)
        out[ds] = {"preset": name, "modes_total": get_dataset(ds).modes_total,
                   "modes_by_iterations": rows}
    return out


def _evidence(m: dict) -> dict:
    keys = ("d_real_acc", "d_fake_acc", "d_fake_mean", "g_grad_norm", "js", "modes_captured")
    return {k: m.get(k) if not isinstance(m.get(k), float) else round(m[k], 5) for k in keys}


def alarm_table(seeds: range) -> dict:
    out = {}
    for name, p in ALARM_PROVOCATIONS.items():
        t0 = time.process_time()
        runs = watch(p.dataset, p.config(), p.iterations, seeds, changes={p.cure_at: p.cure})
        per_seed = []
        for seed, rows in zip(seeds, runs):
            before = [o for o in rows if o.iteration < p.cure_at]
            after = [o for o in rows if o.iteration > p.cure_at]
            sounded = next((o for o in before if o.raised(p.kind)), None)
            last_on = max((i for i, o in enumerate(after) if o.raised(p.kind)), default=-1)
            per_seed.append({
                "seed": seed, "raised_at": sounded and sounded.iteration,
                "raised_after_cure": last_on >= 0,
                "off_for_good_from": (after[last_on + 1].iteration
                                      if last_on + 1 < len(after) else None),
                "evidence_raised": sounded and _evidence(sounded.metrics),
                "evidence_end": _evidence(rows[-1].metrics)})
        out[name] = {"dataset": p.dataset, "cure": p.cure, "cure_at": p.cure_at,
                     "iterations": p.iterations, "seeds": per_seed,
                     "raised": sum(s["raised_at"] is not None for s in per_seed),
                     "cpu_s": round(time.process_time() - t0, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--only", choices=("presets", "alarms"))
    ap.add_argument("--withdrawn", action="store_true",
                    help="also measure ring8's and grid25's balanced recipes at longer budgets")
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = range(args.seeds)
    result: dict = {"seeds": list(seeds)}
    if args.only in (None, "alarms"):
        result["alarms"] = alarm_table(seeds)
    if args.only in (None, "presets"):
        result["presets"] = preset_table(seeds)
    if args.withdrawn:
        result["withdrawn"] = withdrawn_table(seeds)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
