"""Background jobs (metrics, experiments, downloads): progress and cancelling."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import Manager, OwnedJob, ReadableJob

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}")
def get_job(job: ReadableJob) -> dict:
    return job.describe()


@router.delete("/jobs/{job_id}")
def cancel_job(job: OwnedJob, manager: Manager) -> dict:
    """Cancel a running job (its session's token); it stops at its next progress report."""
    manager.jobs.cancel(job.id)
    return job.describe()
