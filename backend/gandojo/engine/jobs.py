"""Background jobs of a session (metrics, the retraining experiment): a thread each, progress, cancel.

A job function `fn(progress, cancel)` runs on its own thread and returns a JSON-able result;
`progress(fraction, message)` records how far it is (and raises `JobCancelled` once cancel was
asked for, so long computations stop at their next report). One job at a time per session.
Progress and the end are announced through `notify` as `{"type": "job", ...}` messages.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

Progress = Callable[[float, str], None]
JobFn = Callable[[Progress, threading.Event], dict]
NOTIFY_INTERVAL_S = 0.25  # progress messages at most ~4 a second
KEEP_FINISHED = 200  # finished jobs remembered for GET /api/jobs/{id}


class JobCancelled(Exception):
    """Raised inside a job when its cancel was asked for."""


class JobBusyError(RuntimeError):
    """The session already runs a job."""


class JobFailed(Exception):
    """Raised by a job function to fail with a message meant for people, shown as it is."""


@dataclass
class Job:
    id: str
    kind: str
    session: str
    state: str = "running"  # running | done | failed | cancelled
    progress: float = 0.0
    message: str = ""
    result: dict | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished_at: float | None = None

    def brief(self) -> dict[str, Any]:
        return {"job": self.id, "kind": self.kind, "state": self.state,
                "progress": round(self.progress, 4)}

    def describe(self) -> dict[str, Any]:
        return {**self.brief(), "session": self.session, "message": self.message, "result": self.result}

    def event(self) -> dict[str, Any]:
        msg = {"type": "job", **self.brief(), "message": self.message}
        if self.state != "running":
            msg["result"] = self.result
        return msg


def span(progress: Progress, start: float, end: float, prefix: str = "") -> Progress:
    """A progress callback mapping [0, 1] onto [start, end] of `progress`."""
    return lambda f, m: progress(start + (end - start) * f, prefix + m)


class JobRegistry:
    """All jobs of a server, by id; at most one running job per session."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def running(self, session_id: str) -> list[Job]:
        return [j for j in list(self._jobs.values()) if j.session == session_id and j.state == "running"]

    def start(self, session_id: str, kind: str, fn: JobFn,
              notify: Callable[[dict], None] = lambda m: None) -> Job:
        with self._lock:
            busy = self.running(session_id)
            if busy:
                raise JobBusyError(f"the session already runs job {busy[0].id} ({busy[0].kind}); "
                                   "wait for it or cancel it (DELETE /api/jobs/{job})")
            job = Job(secrets.token_urlsafe(9), kind, session_id)
            self._jobs[job.id] = job
            self._prune()
        threading.Thread(target=self._run, args=(job, fn, notify), name=f"job-{job.id}",
                         daemon=True).start()
        return job

    def cancel(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.cancel.set()
        return job

    def cancel_session(self, session_id: str) -> None:
        for job in self.running(session_id):
            job.cancel.set()

    def _prune(self) -> None:
        done = sorted((j for j in self._jobs.values() if j.finished_at is not None),
                      key=lambda j: j.finished_at)
        for j in done[:max(0, len(done) - KEEP_FINISHED)]:
            del self._jobs[j.id]

    @staticmethod
    def _run(job: Job, fn: JobFn, notify: Callable[[dict], None]) -> None:
        torch.set_num_threads(torch.get_num_threads())  # per-thread OpenMP setting, as the sessions
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            if job.cancel.is_set():
                raise JobCancelled()
            job.progress, job.message = min(1.0, max(job.progress, float(fraction))), message
            now = time.monotonic()
            if now - last[0] >= NOTIFY_INTERVAL_S:
                last[0] = now
                notify(job.event())

        try:
            job.result = fn(progress, job.cancel)
            if job.cancel.is_set():
                raise JobCancelled()
            job.state, job.progress, job.message = "done", 1.0, "done"
        except JobCancelled:
            job.state, job.message = "cancelled", "cancelled"
        except JobFailed as exc:
            job.state, job.message = "failed", str(exc)
        except Exception as exc:  # reported to whoever asks; the server carries on
            if job.cancel.is_set():  # cancelled (the session ended): what broke is the ending
                job.state, job.message = "cancelled", f"cancelled ({type(exc).__name__}: {exc})"
            else:
                job.state, job.message = "failed", f"{type(exc).__name__}: {exc}"
        job.finished_at = time.monotonic()
        notify(job.event())
