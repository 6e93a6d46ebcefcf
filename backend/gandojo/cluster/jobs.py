"""Jobs in cluster mode: the gateway's own (dataset downloads) and those of sessions on hosts, read
live from the host that runs them (GET /api/jobs/{id}, the lessons' metrics checks)."""

from __future__ import annotations

import time
from typing import Any

from ..engine.jobs import JobRegistry
from .errors import WorkerLost


class JobView:
    """A job running on a host, read live from there (state, progress, result)."""

    def __init__(self, host: Any, desc: dict[str, Any]) -> None:
        self.host, self.id, self.kind, self.session = host, desc["job"], desc["kind"], desc["session"]
        self._desc, self._at = desc, time.monotonic()

    def describe(self) -> dict[str, Any]:
        if time.monotonic() - self._at > 0.1:
            try:
                self._desc = self.host.get("job", self.id) or {**self._desc, "state": "cancelled"}
            except WorkerLost:
                self._desc = {**self._desc, "state": "failed", "message": "its worker was lost"}
            self._at = time.monotonic()
        return self._desc

    state = property(lambda self: self.describe()["state"])
    result = property(lambda self: self.describe().get("result"))
    progress = property(lambda self: self.describe()["progress"])
    message = property(lambda self: self.describe().get("message", ""))


class ClusterJobs(JobRegistry):
    """The gateway's own jobs (dataset downloads) plus those of sessions on hosts."""

    def __init__(self) -> None:
        super().__init__()
        self._remote: dict[str, JobView] = {}

    def started(self, session: Any, desc: dict[str, Any]) -> JobView:
        view = JobView(session.host, desc)
        self._remote[view.id] = view
        return view

    def get(self, job_id: str) -> Any:
        return super().get(job_id) or self._remote.get(job_id)

    def cancel(self, job_id: str) -> Any:
        view = self._remote.get(job_id)
        if view is None:
            return super().cancel(job_id)
        view.host.get("job", job_id, True)
        return view
