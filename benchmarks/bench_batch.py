#!/usr/bin/env python
"""Batched vs looped training of many 2D sessions: prints ONE JSON object (progress on stderr).

    .venv/bin/python benchmarks/bench_batch.py                 # 64 sessions, ~1.5 minutes
    .venv/bin/python benchmarks/bench_batch.py --quick         # smoke run, ~15 s
    .venv/bin/python benchmarks/bench_batch.py --sessions 64 --seconds 5 --rounds 3 --out batch.json

Two levels, each as alternating rounds (looped, batched, looped, batched, ...) in the same run:

* gan: K Trainer2D (GanConfig() on four datasets, different seeds) in a Python loop of
  `iterate()` vs one `BatchedTrainer` over the same K, in chunks of 20 iterations (gather + train +
  hand back each chunk, as the engine does), both with each member's own generator (`exact`, the
  solo trajectories: what the engine uses) and with one shared generator (`shared`, the engine's
  former shortcut, kept to show what exactness costs).
* engine: K real sessions (SessionManager, worker threads, no websocket client) playing for S
  seconds with batching off (each session's own loop, today's per-session path) vs on.

Figures are aggregate iterations/s (all members together) and batched ÷ looped ratios (goal ≥ 8);
`cpu_ratio_*` compares iterations per CPU-second of this process instead (robust when other
processes load the machine). `other_load_cores`: CPU other processes took during the window.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit, log, med, rnd, system_busy  # noqa: E402  (also puts backend/ on sys.path)

import torch  # noqa: E402

from gandojo.engine.manager import SessionManager  # noqa: E402
from gandojo.gan.batched import BatchedTrainer  # noqa: E402
from gandojo.gan.config import GanConfig  # noqa: E402
from gandojo.gan.datasets import get_dataset  # noqa: E402
from gandojo.gan.trainer import Trainer2D  # noqa: E402

DATASETS = ("gaussians", "ring", "ring8", "grid25")
GOAL_RATIO = 8.0
CHUNK = 20  # batched iterations between gather and hand-back at the gan level


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def window(fn, seconds: float) -> dict:
    """Run fn(seconds) -> (iterations, counted seconds); aggregate it/s and the CPU other
    processes took meanwhile."""
    busy0, cpu0, t0 = system_busy(), own_cpu(), time.perf_counter()
    its, counted = fn(seconds)
    wall, cpu = time.perf_counter() - t0, own_cpu() - cpu0
    other = (system_busy() - busy0 - cpu) / wall
    return {"its_per_s": its / counted, "its_per_cpu_s": its / max(cpu, 1e-9),
            "other_load_cores": max(0.0, other)}


def timed(loop):
    """fn(seconds) for a loop(deadline) -> iterations that counts from its own start."""
    def fn(seconds: float) -> tuple[int, float]:
        t0 = time.perf_counter()
        its = loop(t0 + seconds)
        return its, time.perf_counter() - t0
    return fn


def trainers(k: int) -> list[Trainer2D]:
    return [Trainer2D(get_dataset(DATASETS[i % 4]), GanConfig(), i) for i in range(k)]


def gan_looped(ts: list[Trainer2D], deadline: float) -> int:
    n = 0
    while time.perf_counter() < deadline:
        for t in ts:
            t.iterate()
        n += len(ts)
    return n


def gan_batched(ts: list[Trainer2D], deadline: float, shared: torch.Generator | None) -> int:
    n = 0
    while time.perf_counter() < deadline:
        bt = BatchedTrainer(ts, shared)
        bt.iterate(CHUNK)
        bt.hand_back()
        n += CHUNK * len(ts)
    return n


def engine_window(k: int, batching: bool, seconds: float) -> tuple[int, float]:
    m = SessionManager("cpu", max_sessions=k + 1, batching=batching)
    try:
        sessions = [m.create(DATASETS[i % 4], GanConfig(), seed=i) for i in range(k)]
        for s in sessions:
            s.command("play").result(10)
        time.sleep(0.5)  # everyone playing (and grouped) before counting
        start, t0 = sum(s.trainer.iteration for s in sessions), time.perf_counter()
        time.sleep(seconds)
        done, wall = sum(s.trainer.iteration for s in sessions) - start, time.perf_counter() - t0
        log(f"  engine batching={batching}: groups of {sorted({s.batch_group for s in sessions})}")
        return done, wall
    finally:
        m.close_all()


def rounds(label: str, pairs: dict, seconds: float, n: int) -> dict:
    """Alternate the measurements in `pairs` (name -> fn(seconds)) n times; medians and ratios."""
    out: dict = {name: [] for name in pairs}
    for r in range(n):
        for name, fn in pairs.items():
            w = window(fn, seconds)
            log(f"{label} round {r + 1} {name}: {w['its_per_s']:.0f} it/s "
                f"(other load {w['other_load_cores']:.2f} cores)")
            out[name].append(w)
    summary = {name: {"its_per_s": rnd(med([w["its_per_s"] for w in ws]), 1),
                      "rounds": [rnd(w["its_per_s"], 1) for w in ws],
                      "its_per_cpu_s": rnd(med([w["its_per_cpu_s"] for w in ws]), 1),
                      "other_load_cores": [rnd(w["other_load_cores"], 2) for w in ws]}
               for name, ws in out.items()}
    base, base_cpu = summary["looped"]["its_per_s"], summary["looped"]["its_per_cpu_s"]
    for name in list(summary):
        if name != "looped":
            summary[f"ratio_{name}"] = rnd(summary[name]["its_per_s"] / base, 2)
            summary[f"cpu_ratio_{name}"] = rnd(summary[name]["its_per_cpu_s"] / base_cpu, 2)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2 s windows, 1 round")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 2.0, 1
    torch.set_num_threads(1)  # as `gandojo serve` does: one thread is fastest for tiny nets
    k = args.sessions
    ts = trainers(k)
    shared = torch.Generator().manual_seed(0)
    gan = rounds("gan", {"looped": timed(lambda d: gan_looped(ts, d)),
                         "batched_exact": timed(lambda d: gan_batched(ts, d, None)),
                         "batched_shared": timed(lambda d: gan_batched(ts, d, shared))},
                 args.seconds, args.rounds)
    engine = rounds("engine", {"looped": lambda sec: engine_window(k, False, sec),
                               "batched": lambda sec: engine_window(k, True, sec)},
                    args.seconds, args.rounds)
    result = {"sessions": k, "seconds": args.seconds, "rounds": args.rounds,
              "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "gan": gan, "engine": engine, "goal_ratio": GOAL_RATIO,
              "meets_goal": {"gan": gan["ratio_batched_exact"] >= GOAL_RATIO,
                             "engine": engine["ratio_batched"] >= GOAL_RATIO}}
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
