"""Typed request dependencies: the manager and store, the client, session lookup (404), tokens (401/403).

Routes declare what they need as a type, as in FastAPI's full-stack template:
`def pause(session: WritableSession)`; `def get_session(session: ReadableSession)`.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..engine.base import BaseSession
from ..engine.image_session import ImageSession
from ..engine.jobs import Job
from ..engine.lessons.classes import ClassRegistry
from ..engine.lessons.progress import LessonBook
from ..engine.manager import SessionManager, token_matches, viewer_matches
from ..engine.store import SessionStore
from .auth import client_address

bearer = HTTPBearer(auto_error=False, description="the session token returned at creation")


def get_manager(request: Request) -> SessionManager:
    return request.app.state.manager


def get_store(request: Request) -> SessionStore:
    return request.app.state.store


def get_book(request: Request) -> LessonBook:
    return request.app.state.lesson_book


def get_classes(request: Request) -> ClassRegistry:
    return request.app.state.classes


def get_client(request: Request) -> str:
    """The client's address: sessions are counted per address."""
    return client_address(request)


Manager = Annotated[SessionManager, Depends(get_manager)]
Store = Annotated[SessionStore, Depends(get_store)]
Book = Annotated[LessonBook, Depends(get_book)]
Classes = Annotated[ClassRegistry, Depends(get_classes)]
Client = Annotated[str, Depends(get_client)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def readable_session(sid: str, manager: Manager) -> BaseSession:
    s = manager.get(sid)
    if s is None:
        raise HTTPException(404, f"no session {sid!r} (ended, or never created)")
    return s


ReadableSession = Annotated[BaseSession, Depends(readable_session)]


def authorize(session: BaseSession | None, cred: HTTPAuthorizationCredentials | None,
              what: str = "this session") -> BaseSession:
    """`session` if `cred` is its control token (401 without one, 403 for a viewer's or a wrong
    one); a call with the token is activity for the idle reaper (a read is not)."""
    if cred is None:
        raise HTTPException(401, f"this call changes {what}: send 'Authorization: Bearer <token "
                            "of the session>'", headers={"WWW-Authenticate": "Bearer"})
    if session is not None and viewer_matches(session, cred.credentials):
        raise HTTPException(403, "this is the session's viewer token: it can watch, not control")
    if session is None or not token_matches(session, cred.credentials):
        raise HTTPException(403, f"the token does not belong to {what}")
    session.last_active = time.monotonic()
    return session


def writable_session(session: ReadableSession, cred: Credentials) -> BaseSession:
    return authorize(session, cred)


WritableSession = Annotated[BaseSession, Depends(writable_session)]


def _image(session: BaseSession) -> ImageSession:
    if session.kind != "image":  # an ImageSession here, or its proxy in cluster mode (cluster/)
        raise HTTPException(409, f"this route needs an image session; session {session.id} is "
                                 f"{session.kind}")
    return session


def readable_image(session: ReadableSession) -> ImageSession:
    return _image(session)


def writable_image(session: WritableSession) -> ImageSession:
    return _image(session)


ReadableImage = Annotated[ImageSession, Depends(readable_image)]
WritableImage = Annotated[ImageSession, Depends(writable_image)]


def get_job(job_id: str, manager: Manager) -> Job:
    job = manager.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} (finished long ago, or never started)")
    return job


ReadableJob = Annotated[Job, Depends(get_job)]


def owned_job(job: ReadableJob, manager: Manager, cred: Credentials) -> Job:
    """The job, if `cred` is the token of the session that started it (401 / 403)."""
    authorize(manager.get(job.session), cred, "this job's session")
    return job


OwnedJob = Annotated[Job, Depends(owned_job)]
