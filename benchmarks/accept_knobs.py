"""Issue 13's knob acceptance: no one-click knob makes GAN Lab's default run diverge within 2,000
iterations in 5 seeds. One JSON object on stdout.

Each knob is applied once to the default config on the default dataset (mixture of Gaussians) and
trained with the gan-level trainer, batchable configs as one BatchedTrainer over knobs and seeds
(each member draws exactly its solo batches, gan/batched.py), the others solo. Diverged: a
non-finite loss or parameter, or a parameter beyond 1e6; checked every `--check` iterations, so
the report says when each run first diverged (`diverged_at`, null for alive). The negative case,
the old WGAN-GP knob (the loss alone, SGD lr 0.1), must diverge in every seed: its iterations
bound how short the cheaper check in tests/gan/test_knobs.py may be. Exit status 1 when a knob
diverges or the negative case survives. ~3 CPU-minutes (one thread).

    .venv/bin/python benchmarks/accept_knobs.py [--seeds 5] [--iterations 2000] [--check 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import common  # noqa: F401  (puts the checkout's backend/ on sys.path when not installed)
import torch

from gandojo.gan.batched import train_together
from gandojo.gan.config import GanConfig, merged_config
from gandojo.gan.datasets import get_dataset
from gandojo.gan.presets import KNOBS
from gandojo.gan.trainer import Trainer2D

HUGE = 1e6
NEGATIVE = "old-wgan-gp (loss alone)"


def alive(t: Trainer2D) -> bool:
    losses = [v for v in t.losses().values() if v is not None]
    params = torch.cat([p.detach().flatten() for p in (*t.G.parameters(), *t.D.parameters())])
    return bool(torch.isfinite(torch.tensor(losses)).all() and torch.isfinite(params).all()
                and params.abs().max() < HUGE)


def configs() -> dict[str, GanConfig]:
    out = {n: merged_config(GanConfig(), k.patch(GanConfig())) for n, k in KNOBS.items()}
    out[NEGATIVE] = merged_config(GanConfig(), {"loss": "wgan-gp"})
    return out




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    ap.add_argument("--iterations", type=int, default=2000, help="per run (default 2000)")
    ap.add_argument("--check", type=int, default=50, help="divergence check every N iterations")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    runs = {n: [Trainer2D(get_dataset("gaussians"), c, s) for s in range(args.seeds)]
            for n, c in configs().items()}
    diverged_at: dict[str, list[int | None]] = {n: [None] * args.seeds for n in runs}
    done = 0
    while done < args.iterations:
        live = [t for n, ts in runs.items() for t, at in zip(ts, diverged_at[n]) if at is None]
        step = min(args.check, args.iterations - done)
        train_together(live, step)  # a diverged run stops: NaNs would only cost time
        done += step
        for n, ts in runs.items():
            for k, t in enumerate(ts):
                if diverged_at[n][k] is None and not alive(t):
                    diverged_at[n][k] = done
        print(f"{done} iterations, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    knobs = {n: at for n, at in diverged_at.items() if n != NEGATIVE}
    ok = all(at is None for ats in knobs.values() for at in ats)
    negative_ok = all(at is not None for at in diverged_at[NEGATIVE])
    print(json.dumps({"iterations": args.iterations, "seeds": args.seeds, "check": args.check,
                      "diverged_at": knobs, "negative": {NEGATIVE: diverged_at[NEGATIVE]},
                      "ok": ok and negative_ok, "seconds": round(time.perf_counter() - t0, 1)}))
    return 0 if ok and negative_ok else 1


if __name__ == "__main__":
    sys.exit(main())
