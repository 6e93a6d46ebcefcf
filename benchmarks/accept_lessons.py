"""Issue 14's image lessons, verified: every built-in lesson of kind `image` (mnist-knobs, dcgan,
conditional-gan, divergences) played headless on a real session of the embedded MNIST with each
step's reduced budget, as `gandojo lessons check` does (the checks must fail at the step's start
and after its `wrong` solution, and pass after its solution). One JSON object on stdout (per
lesson: passed, seconds, CPU seconds of the process, per step its iterations, seconds and problems), progress on stderr.
`make test` plays only cheap parts of these lessons; this is their whole check. About 4–5
minutes of one core for all four.

    .venv/bin/python benchmarks/accept_lessons.py [ID ...] [--seed 0] [--out FILE]

Exit status 1 when a step fails, 2 for an id that is not an image lesson.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import common  # noqa: F401  (puts the checkout's backend/ on sys.path when not installed)
import torch

from gandojo.engine.lessons.model import catalog
from gandojo.engine.lessons.runner import check_lesson
from gandojo.engine.manager import SessionManager


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ids", nargs="*", help="image lessons to check (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="", help="also write the JSON here")
    args = ap.parse_args()
    image = {k: v for k, v in catalog().items() if v.kind == "image"}
    bad = [i for i in args.ids if i not in image]
    if bad:
        print(f"not image lessons: {bad} (there are: {list(image)})", file=sys.stderr)
        return 2
    torch.set_num_threads(1)  # as `gandojo lessons check`
    manager = SessionManager(batching=False)
    report: dict = {"seed": args.seed, "threads": 1, "lessons": {}}
    try:
        for lid in args.ids or list(image):
            common.log(f"{lid}: {image[lid].title}")
            cpu0 = time.process_time()
            r = check_lesson(image[lid], manager, args.seed,
                             log=lambda s: common.log(f"  {'ok' if s.passed else 'FAIL'} step "
                                                      f"{s.step} ({s.iterations} it, {s.seconds:.1f} s)"
                                                      + "".join(f"\n    {p}" for p in s.problems)))
            report["lessons"][lid] = {
                "passed": r.passed, "seconds": round(r.seconds, 1),
                "cpu_seconds": round(time.process_time() - cpu0, 1),  # this process, all threads
                "steps": [{"step": s.step, "title": s.title, "passed": s.passed,
                           "iterations": s.iterations, "seconds": round(s.seconds, 1),
                           "problems": s.problems} for s in r.steps]}
    finally:
        manager.close_all()
    report["passed"] = all(v["passed"] for v in report["lessons"].values())
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
