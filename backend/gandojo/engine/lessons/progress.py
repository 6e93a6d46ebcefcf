"""A student's progress through one lesson on one live 2D session: enter a step (apply its setup
through the session's commands), observe the session, evaluate the step's checks, answer questions.

Only the session's public commands and readings are used (pause, reset, preset, config, knob,
slowmo, step, snapshot; `history`, `info()`, `subscribe`). Passed checks stay passed for the step
(they tick once, as on the page). Slow-motion stages are seen by a frame subscriber that reads
only each frame's JSON header; it is attached only while the step has a stages check. On an image
session an open image-metric check starts the session's metrics job (start_metrics) when the
iteration moved on, at most every METRICS_EVERY_S, and reads its result when it is done; the
retraining experiment is followed when one is seen running in the frames (the student's button)
or started by a solution's `experiment` action, and its result read when it is done.
"""

from __future__ import annotations

import json
import struct
import threading
import time
from typing import Any

from ..fanout import Subscriber
from ..frames import MAGIC
from ..jobs import JobBusyError
from .checks import Observation, RunEnd, evaluate
from .model import Action, ExperimentCheck, ImageMetricCheck, Lesson, Question, Setup, StagesCheck

TIMEOUT_S = 60.0  # how long one session command may take
METRICS_EVERY_S = 10.0  # the page's evaluations start a metrics job at most this often
METRICS_TIMEOUT_S = 600.0  # how long a waiting evaluation (the headless checker) waits for one
IDLE_S = 300.0  # a progress nobody evaluated for this long lets go of its session (LessonBook.sweep)


def frame_header(data: bytes) -> dict[str, Any] | None:
    """The JSON header of an encoded frame (engine/frames.py layout), or None."""
    if len(data) < 8 or data[:4] != MAGIC:
        return None
    (n,) = struct.unpack("<I", data[4:8])
    return json.loads(data[8:8 + n])


def answer_is_right(q: Question, value: Any) -> bool:
    if q.kind == "choice":
        return isinstance(value, int) and not isinstance(value, bool) and value == q.answer
    text = str(value).strip().lower()
    return bool(text) and (not q.accept or any(w.lower() in text for w in q.accept))


class LessonProgress:
    """Step index, latched checks, answers and what was observed, for `lesson` on `session`."""

    def __init__(self, lesson: Lesson, session: Any) -> None:
        self.lesson, self.session = lesson, session
        self.index = 0
        self.last_seen = time.monotonic()
        self.passed: dict[int, set[str]] = {}
        self.answers: dict[int, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._watch: Subscriber | None = None
        self._reset_observations()

    # ------------------------------------------------------------ steps
    @property
    def step(self):
        return self.lesson.steps[self.index]

    def enter(self, index: int, apply: bool = True) -> dict[str, Any]:
        """Go to step `index` (0-based), apply its setup (unless `apply` is False) and evaluate."""
        if not 0 <= index < len(self.lesson.steps):
            raise IndexError(f"step must be 1..{len(self.lesson.steps)}")
        with self._lock:
            self.index = index
            self.passed[index] = set()
            self.answers.pop(index, None)
            if apply and self.step.setup is not None:
                self.apply_setup(self.step.setup)
            self._reset_observations()
            self._watch_stages(self._needs_watch())
            return self.evaluate()

    def _reset_observations(self) -> None:
        self.runs: list[RunEnd] = []
        self.alarms: set[str] = set()
        self.stages: set[int] = set()
        self._run_no, self._trainer = 0, None
        self._images, self._job, self._job_config, self._measured_at = None, None, None, -METRICS_EVERY_S
        self._experiment, self._exp_jobs = None, {}  # the newest result; jobs followed, by id
        self._step_trainer, self._since = self._trainer_serial(), self._iteration()

    def apply_setup(self, setup: Setup) -> None:
        """Pause, then (as given) reset to the dataset/seed, apply the preset, patch the config
        and set slow motion, each through the session's commands."""
        self._do("pause")
        if setup.dataset is not None or setup.seed is not None:
            self._do("reset", dataset=setup.dataset, seed=setup.seed)
        if setup.preset is not None:
            self._do("preset", name=setup.preset)
        if setup.config is not None:
            self._do("config", patch=setup.config)
        if "slowmo" not in getattr(self.session, "handlers", {}):  # image sessions: no slow motion
            return
        self._do("slowmo", on=setup.slowmo.on if setup.slowmo else False,
                 **({"stage_ms": setup.slowmo.stage_ms} if setup.slowmo and setup.slowmo.stage_ms else {}))

    def act(self, action: Action) -> Any:
        """Perform one solution action other than `run`/`step` (the runner trains those)."""
        if action.answer is not None:
            return self.answer(action.answer)
        if action.experiment:
            sizes = [c for c in self.step.checks if isinstance(c, ExperimentCheck)]
            job = self.session.start_experiment(n_train=max([c.n_train for c in sizes], default=None),
                                                epochs=max([c.epochs or 0 for c in sizes], default=0) or None)
            return self._exp_jobs.setdefault(job.id, job)
        if action.reset:
            return self._do("reset")
        for name in ("seed", "dataset"):
            if getattr(action, name) is not None:
                return self._do("reset", **{name: getattr(action, name)})
        if action.preset is not None:
            return self._do("preset", name=action.preset)
        if action.knob is not None:
            return self._do("knob", name=action.knob)
        if action.config is not None:
            return self._do("config", patch=action.config)
        if action.slowmo is not None:
            extra = {"stage_ms": action.slowmo.stage_ms} if action.slowmo.stage_ms else {}
            return self._do("slowmo", on=action.slowmo.on, **extra)
        raise ValueError(f"act() does not train: {action}")

    def answer(self, value: Any) -> dict[str, Any]:
        q = self.step.question
        if q is None:
            raise LookupError(f"step {self.index + 1} asks no question")
        with self._lock:
            right = answer_is_right(q, value)
            if not self.answers.get(self.index, {}).get("correct"):
                self.answers[self.index] = {"answer": value, "correct": right}
        return {"correct": right, "explanation": q.explanation}

    # ------------------------------------------------------------ observing
    def _do(self, cmd: str, /, **kwargs: Any) -> Any:
        return self.session.command(cmd, **kwargs).result(TIMEOUT_S)

    def _trainer_serial(self) -> int | None:
        """Which trainer the session runs now (a reset or a new dataset builds another)."""
        return getattr(self.session, "trainer_serial", None)

    def _iteration(self) -> int:
        it = self.session.state().get("iteration")  # image sessions: in info() only
        return int(it if it is not None else self.session.info()["iteration"])

    def _wanted_iterations(self) -> set[int]:
        return {c.iteration for c in self.step.checks if c.kind in ("same_seed", "compare")}

    def observe(self) -> Observation:
        """A fresh snapshot of the session (recorded in its history), folded into what the step saw."""
        header = self._do("snapshot").header
        info = self.session.info()
        with self._lock:
            trainer = self._trainer_serial()
            if self._trainer is None or self._trainer != trainer:
                self._trainer, self._run_no = trainer, self._run_no + 1
            for j in header.get("jobs") or []:
                if j.get("kind") == "experiment":
                    self._exp_jobs.setdefault(j["job"], None)
            a = header.get("alarm") or {}
            if a.get("active"):
                self.alarms.update([a.get("kind")] + list(a.get("kinds") or []))
            it = header["iteration"]
            if it in self._wanted_iterations() and not any(r.run == self._run_no and r.iteration == it
                                                           for r in self.runs):
                values = {"d_loss": (header.get("losses") or {}).get("d"),
                          "g_loss": (header.get("losses") or {}).get("g"), **(header.get("metrics") or {})}
                self.runs.append(RunEnd(self._run_no, info["seed"], info["dataset"], info["config"],
                                        it, values))
            same = self._step_trainer is not None and self._step_trainer == trainer
            history = getattr(self.session, "history", None)  # 2D sessions keep one
            return Observation(it, info["config"], history.message() if history is not None else {},
                               self._since if same else 0, list(self.runs), set(self.alarms),
                               set(self.stages), self._images, self._experiment)

    def _measure(self, wait: bool) -> None:
        """Open image-metric checks: fold in a finished metrics job, start one when the iteration
        moved on since the last result (`wait`: now, and until it ends; else at most every
        METRICS_EVERY_S). A job the student started themselves is left alone (busy)."""
        latched = self.passed.get(self.index, set())
        wanted = [c for c in self.step.checks if isinstance(c, ImageMetricCheck) and c.id not in latched]
        if not wanted or not hasattr(self.session, "start_metrics"):
            return
        job = self._job
        if job is not None and job.state != "running":
            self._fold(job)
            job = self._job = None
        last = None if self._images is None else self._images.get("iteration")
        due = wait or time.monotonic() - self._measured_at >= METRICS_EVERY_S
        if job is None and due and last != self._iteration():
            try:
                job = self._job = self.session.start_metrics(n=max(c.n for c in wanted),
                                                             drs=any(c.drs for c in wanted))
                self._measured_at, self._job_config = time.monotonic(), self.session.info()["config"]
            except JobBusyError:
                return
        deadline = time.monotonic() + METRICS_TIMEOUT_S
        while wait and job is not None and job.state == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        if wait and job is not None and job.state != "running":
            self._fold(job)
            self._job = None

    def _fold(self, job: Any) -> None:
        """A finished metrics job's result, with the config it was started under (`with_config`)."""
        self._images = {**job.result, "config": self._job_config} if job.state == "done" else self._images

    def _follow_experiments(self, wait: bool) -> None:
        """The newest finished experiment job of the step becomes what experiment checks read
        (`wait`: for the running ones first, as the headless checker does)."""
        registry = getattr(self.session, "jobs", None)
        if registry is None:  # a cluster proxy: its gateway reads the jobs on the hosts
            registry = getattr(getattr(self.session, "gateway", None), "jobs", None)
        for jid, job in list(self._exp_jobs.items()):
            if job is None and registry is not None:
                self._exp_jobs[jid] = registry.get(jid)
        jobs = [j for j in self._exp_jobs.values() if j is not None]  # in the order they started
        deadline = time.monotonic() + METRICS_TIMEOUT_S
        while wait and any(j.state == "running" for j in jobs) and time.monotonic() < deadline:
            time.sleep(0.05)
        done = [j.result for j in jobs if j.state == "done" and j.result is not None]
        if done:
            self._experiment = done[-1]

    def _needs_watch(self) -> bool:
        """A stages check of this step that has not ticked yet: the frame watcher must look.
        (While it is attached the session counts as watched, so the idle reaper leaves it.)"""
        latched = self.passed.get(self.index, set())
        return any(isinstance(c, StagesCheck) and c.id not in latched for c in self.step.checks)

    def _watch_stages(self, on: bool) -> None:
        with self._lock:
            self._set_watch(on)

    def _set_watch(self, on: bool) -> None:
        if self._watch is not None and not on:
            self.session.unsubscribe(self._watch)
            self._watch = None
        elif self._watch is None and on:
            def seen() -> None:
                latest = self.session.latest()
                head = frame_header(latest[1]) if latest else None
                if head and head.get("stage"):
                    self.stages.add(int(head["stage"]["index"]))
                while sub.pop() is not None:  # events are of no use here
                    pass
            sub = Subscriber(seen, maxlen=4)
            self._watch = sub
            self.session.subscribe(sub)

    def close(self) -> None:
        """Detach from the session (the stage watcher), e.g. when the lesson ends."""
        self._watch_stages(False)

    # ------------------------------------------------------------ evaluation
    def evaluate(self, wait: bool = False) -> dict[str, Any]:
        """The step's status: every check (latched once passed), the question, done (`wait`: for
        a fresh image-metrics measurement, as the headless checker does)."""
        self.last_seen = time.monotonic()
        self._measure(wait)
        if self._exp_jobs:
            self._follow_experiments(wait)
        obs = self.observe()
        with self._lock:
            latched = self.passed.setdefault(self.index, set())
            checks = []
            for c in self.step.checks:
                r = evaluate(c, obs)
                if r.passed:
                    latched.add(c.id)
                ok = c.id in latched
                checks.append({"id": c.id, "text": c.text, "passed": ok, "detail": r.detail,
                               "hint": None if ok else c.hint})
            self._watch_stages(self._needs_watch())  # off once ticked; back when a student returns
            return {"id": self.lesson.id, "step": self.index + 1, "steps": len(self.lesson.steps),
                    "iteration": obs.iteration, "checks": checks, "question": self._question(),
                    "done": all(c["passed"] for c in checks) and self._question_done()}

    def summary(self) -> dict[str, Any]:
        """Where the student is, from what was last evaluated (builds no frame): for dashboards."""
        with self._lock:
            latched = self.passed.get(self.index, set())
            total = len(self.step.checks)
            return {"id": self.lesson.id, "step": self.index + 1, "steps": len(self.lesson.steps),
                    "checks_passed": len(latched), "checks_total": total,
                    "done": len(latched) == total and self._question_done()}

    def _question_done(self) -> bool:
        return self.step.question is None or bool(self.answers.get(self.index, {}).get("correct"))

    def _question(self) -> dict[str, Any] | None:
        q = self.step.question
        if q is None:
            return None
        a = self.answers.get(self.index)
        return {"answered": a is not None, "correct": bool(a and a["correct"]),
                "explanation": q.explanation if a is not None else None}


class LessonBook:
    """The lesson progress of each session (by id) that started one; ended sessions drop out."""

    def __init__(self) -> None:
        self._by_id: dict[str, LessonProgress] = {}
        self._lock = threading.Lock()

    def get(self, session: Any) -> LessonProgress | None:
        self.sweep()
        with self._lock:
            p = self._by_id.get(session.id)
        return p if p is not None and p.session is session else None

    def sweep(self, idle_s: float = IDLE_S) -> None:
        """Drop the progress of ended sessions; detach the frame watcher of those nobody
        evaluated for `idle_s` (so that the idle reaper can pause and end an abandoned session)."""
        now = time.monotonic()
        with self._lock:
            ended = [k for k, v in self._by_id.items() if v.session.closed]
            for sid in ended:
                self._by_id.pop(sid).close()
            idle = [v for v in self._by_id.values() if now - v.last_seen > idle_s]
        for p in idle:
            p.close()

    def start(self, lesson: Lesson, session: Any) -> LessonProgress:
        """A new progress of `lesson` on `session` (replacing the one it had)."""
        p = LessonProgress(lesson, session)
        self.sweep()
        with self._lock:
            old = self._by_id.pop(session.id, None)
            self._by_id[session.id] = p
        if old is not None:
            old.close()
        return p

    def end(self, session: Any) -> None:
        with self._lock:
            p = self._by_id.pop(session.id, None)
        if p is not None:
            p.close()

    def __len__(self) -> int:
        return len(self._by_id)
