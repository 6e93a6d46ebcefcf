"""`gandojo lessons list | check [ID ...]`: the built-in (or a folder's) lessons, and the headless
checker that plays each step's solution on a real session (exit status 1 when a step fails)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _load(args: argparse.Namespace):
    from ..engine.lessons.model import LessonError, catalog, load_dir

    try:
        return load_dir(Path(args.dir)) if args.dir else catalog()
    except (LessonError, OSError) as exc:
        print(f"gandojo lessons: {exc}", file=sys.stderr)
        return None


def _list(args: argparse.Namespace) -> int:
    lessons = _load(args)
    if lessons is None:
        return 1
    for les in lessons.values():
        print(f"{les.id:24} {les.level:12} {len(les.steps):2} steps  {les.title}")
    return 0


def _check(args: argparse.Namespace) -> int:
    lessons = _load(args)
    if lessons is None:
        return 1
    unknown = [i for i in args.ids if i not in lessons]
    if unknown:
        print(f"gandojo lessons check: no lesson {', '.join(map(repr, unknown))} "
              f"(there are: {', '.join(lessons)})", file=sys.stderr)
        return 2
    chosen = [lessons[i] for i in args.ids] if args.ids else [
        les for les in lessons.values() if les.cheap or not args.cheap]
    if args.validate_only:
        print(f"{len(lessons)} lesson files are valid")
        return 0
    import torch

    from ..engine.lessons.runner import check_lesson
    from ..engine.manager import SessionManager

    torch.set_num_threads(1)  # tiny 2D models: one thread is fastest (as the server's sessions)
    manager = SessionManager(batching=False)
    failed = 0
    try:
        for les in chosen:
            print(f"{les.id}: {les.title}", flush=True)
            report = check_lesson(les, manager, args.seed, log=_print_step)
            failed += not report.passed
            print(f"  {'passed' if report.passed else 'FAILED'} in {report.seconds:.1f} s", flush=True)
    finally:
        manager.close_all()
    print(f"{len(chosen) - failed} of {len(chosen)} lessons passed")
    return 1 if failed else 0


def _print_step(r) -> None:
    mark = "ok  " if r.passed else "FAIL"
    print(f"  {mark} step {r.step:2} {r.title} ({r.iterations} iterations, {r.seconds:.1f} s)",
          flush=True)
    for p in r.problems:
        print(f"         {p}", flush=True)


def register(sub) -> None:
    """Add `lessons list` and `lessons check` to the `gandojo` subparsers."""
    from .util import bounded

    les = sub.add_parser("lessons", help="list the guided lessons, or check that they work")
    lsub = les.add_subparsers(dest="lessons_command", required=True, metavar="ACTION")
    for name, fn, text in (("list", _list, "the lessons (id, level, steps, title)"),
                           ("check", _check, "play every step's solution headless on a real "
                                              "session: its checks must fail at the start and "
                                              "pass within the step's budget")):
        p = lsub.add_parser(name, help=text, description=text)
        p.add_argument("--dir", default="", help="a folder of lesson YAML files instead of the built-in ones")
        p.set_defaults(func=fn)
        if name == "check":
            p.add_argument("ids", nargs="*", metavar="ID", help="lessons to check (default: all)")
            p.add_argument("--cheap", action="store_true", help="only the lessons marked cheap")
            p.add_argument("--seed", type=bounded(int, 0, 2**31 - 1), default=0,
                           help="the session's seed (default 0)")
            p.add_argument("--validate-only", action="store_true",
                           help="only load and validate the lesson files")
