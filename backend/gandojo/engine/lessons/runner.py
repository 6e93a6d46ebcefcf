"""The headless lesson checker: plays every step of a lesson on a real session of the lesson's
kind — its setup, then its `solution` — and asserts that the step's checks fail at its start and
pass within its budget (a check that cannot fail, or a solution that does not pass, is a defect)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..kinds import KINDS
from .model import Action, Lesson
from .progress import LessonProgress

CHUNK = 100  # iterations between observations while a solution trains (most: a window's ¼)
SLOW_STEP_S = 120.0  # how long one slow-motion Step may take to play all its stages


@dataclass
class StepReport:
    step: int
    title: str
    passed: bool
    seconds: float
    iterations: int
    problems: list[str] = field(default_factory=list)


@dataclass
class LessonReport:
    lesson: str
    steps: list[StepReport]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.steps)


def _train(p: LessonProgress, action: Action) -> int:
    """Run `action.run` iterations in chunks (observing after each) or press Step `action.step`
    times (slow motion: wait until each played all its stages); the iterations trained."""
    s, done = p.session, 0
    windows = [c.window // 4 for c in p.step.checks if getattr(c, "window", 0)]
    chunk = max(10, min([CHUNK, *windows]))
    if action.run is not None:
        while done < action.run:
            n = min(chunk, action.run - done)
            s.command("step", n=n).result(60)
            done += n
            if p.evaluate(wait=True)["done"]:
                break
        return done
    for _ in range(action.step or 0):
        before = p._iteration()
        s.command("step", n=1).result(60)
        deadline = time.monotonic() + SLOW_STEP_S
        while p._iteration() == before and time.monotonic() < deadline:
            time.sleep(0.05)
        done += 1
        p.evaluate(wait=True)
    return done


def play(p: LessonProgress, solution: list[Action]) -> int:
    """Perform `solution` on the progress' current step; the iterations it trained."""
    trained = 0
    for a in solution:
        if a.run is not None or a.step is not None:
            if not p.evaluate(wait=True)["done"]:  # a good student stops once everything ticked
                trained += _train(p, a)
        else:
            p.act(a)
    return trained


def check_step(p: LessonProgress, index: int, solution: list[Action] | None = None) -> StepReport:
    """Enter step `index`, check that nothing passes yet, play the solution, check all passes."""
    step, t0 = p.lesson.steps[index], time.perf_counter()
    problems: list[str] = []
    start = p.enter(index)
    for c in start["checks"]:
        if c["passed"]:
            problems.append(f"check {c['id']!r} passes before the solution ({c['detail']})")
    q = step.question
    if q is not None and q.kind == "choice":
        wrong = next(i for i in range(len(q.options)) if i != q.answer)
        if p.answer(wrong)["correct"]:
            problems.append(f"question accepts the wrong option {wrong}")
        p.answers.pop(index, None)
    trained = play(p, step.solution if solution is None else solution)
    end = p.evaluate(wait=True)
    for c in end["checks"]:
        if not c["passed"]:
            problems.append(f"check {c['id']!r} fails after the solution: {c['detail']}")
    if q is not None and not end["question"]["correct"]:
        problems.append("the solution's answer is not accepted")
    if trained > step.budget:
        problems.append(f"trained {trained} iterations, over the budget {step.budget}")
    return StepReport(index + 1, step.title, not problems, time.perf_counter() - t0, trained, problems)


def check_wrong(p: LessonProgress, index: int) -> list[str]:
    """Enter step `index` again and play its `wrong` solution: something must stay unpassed
    (a check, or the question); the problem found, if any."""
    step = p.lesson.steps[index]
    if step.wrong is None:
        return []
    p.enter(index)
    play(p, step.wrong)
    end = p.evaluate(wait=True)
    return [] if not end["done"] else [f"the wrong solution passes every check: {step.wrong}"]


def check_lesson(lesson: Lesson, manager: Any, seed: int = 0,
                 log: Callable[[StepReport], None] | None = None,
                 wrong: bool = True) -> LessonReport:
    """Every step of `lesson` in order on one new session of `manager` (deleted afterwards); with
    `wrong`, a step's `wrong` solution is played first (from the step's start) and must fail."""
    t0 = time.perf_counter()
    kind = KINDS[lesson.kind]  # the first step's dataset, else the kind's first, on its defaults
    first = lesson.steps[0].setup
    dataset = first.dataset if first is not None and first.dataset else next(iter(kind.datasets))
    session = manager.create(dataset, kind.default_config(), seed)
    p = LessonProgress(lesson, session)
    reports = []
    try:
        for i in range(len(lesson.steps)):
            w0 = time.perf_counter()
            mistake = check_wrong(p, i) if wrong else []
            r = check_step(p, i)
            r.problems[:0], r.seconds = mistake, time.perf_counter() - w0  # the mistake's time too
            r.passed = not r.problems
            reports.append(r)
            if log is not None:
                log(reports[-1])
    finally:
        p.close()
        manager.delete(session.id)
    return LessonReport(lesson.id, reports, time.perf_counter() - t0)
