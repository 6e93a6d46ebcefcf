"""The page's "Get the full dataset": the checksummed download of an image dataset as a server job.

One job per dataset at a time (asking again while it runs returns the running job); its progress
is one fraction over the four files. A failure is one readable sentence, and whatever source was in
use (the embedded default, say) stays in use. New sessions and resets pick the full set up once
all four files are verified and in place.
"""

from __future__ import annotations

import os
import threading

from ..datasets import fetch
from ..datasets.images import find_sources, get_spec
from ..datasets.idx import DataError
from .jobs import Job, JobBusyError, JobFailed, JobRegistry, Progress

OWNER = "data:{}"  # the job registry's "session" of a dataset's download


def in_use(name: str, root: str | os.PathLike | None) -> str:
    """'so the embedded set of 9,000 images stays in use' — the end of a failure sentence."""
    found = find_sources(name, root)
    if not found:
        return "and no other copy is on this server"
    return f"so the {found[0].source} set of {found[0].train_count:,} images stays in use"


def failure_sentence(name: str, exc: DataError, root, mirrors: tuple[str, ...]) -> str:
    """One sentence for the page: offline, or what went wrong, and what stays in use."""
    spec, keep = get_spec(name), in_use(name, root)
    if isinstance(exc, fetch.NetworkError):
        which = (f"the download mirror of {spec.title} could not" if len(mirrors) == 1 else
                 f"none of the {len(mirrors)} download mirrors of {spec.title} could")
        return f"No network: {which} be reached, {keep}."
    first = str(exc).splitlines()
    detail = first[1].strip() if len(first) > 1 else first[0]
    return f"The download of {spec.title} failed ({detail}), {keep}."


def download_job(name: str, root: str | os.PathLike | None, mirrors: tuple[str, ...] | None = None,
                 timeout: float = 30.0, remote: tuple[fetch.RemoteFile, ...] | None = None):
    """The job function: download `name` into the data directory, then describe what is in use."""
    files = remote if remote is not None else fetch.REMOTE[name]
    urls = mirrors or fetch.MIRRORS[name]

    def run(progress: Progress, cancel: threading.Event) -> dict:
        progress(0.0, f"connecting to {urls[0]}")
        try:
            dest = fetch.download_dataset(name, root, urls, fetch.overall(progress, files), timeout, files)
        except DataError as exc:
            raise JobFailed(failure_sentence(name, exc, root, urls)) from None
        best = find_sources(name, root)[0]
        return {"dataset": name, "source": best.source, "count": best.train_count,
                "test_count": best.test_count, "path": str(dest)}
    return run


def start_download(jobs: JobRegistry, name: str, root: str | os.PathLike | None,
                   mirrors: tuple[str, ...] | None = None, timeout: float = 30.0,
                   remote: tuple[fetch.RemoteFile, ...] | None = None) -> Job:
    """Start (or join) the download job of image dataset `name`; KeyError for an unknown name."""
    get_spec(name)
    try:
        return current_job(jobs, name) or jobs.start(
            OWNER.format(name), "download", download_job(name, root, mirrors, timeout, remote))
    except JobBusyError:  # started by another request in between
        return current_job(jobs, name)


def current_job(jobs: JobRegistry, name: str) -> Job | None:
    """The running download of `name`, if any (the page resumes showing its progress)."""
    running = jobs.running(OWNER.format(name))
    return running[0] if running else None
