"""Request dependencies: the session manager, session lookup (404) and token checks (401/403)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..engine.limits import LimitError
from ..engine.manager import SessionLimitError, SessionManager, token_matches, viewer_matches
from ..engine.session import Session

SESSION_RETRY_S = 30  # a full server (or client): when to try again
bearer = HTTPBearer(auto_error=False, description="the session token returned at creation")


def get_manager(request: Request) -> SessionManager:
    return request.app.state.manager


def readable_session(sid: str, manager: SessionManager = Depends(get_manager)) -> Session:
    s = manager.get(sid)
    if s is None:
        raise HTTPException(404, f"no session {sid!r} (ended, or never created)")
    return s


def writable_session(session: Session = Depends(readable_session),
                     cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Session:
    if cred is None:
        raise HTTPException(401, "this call changes the session: send 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if viewer_matches(session, cred.credentials):
        raise HTTPException(403, "this is the session's viewer token: it can watch, not control")
    if not token_matches(session, cred.credentials):
        raise HTTPException(403, "the token does not belong to this session")
    session.last_active = time.monotonic()  # a call with the token is activity (a read is not)
    return session


def created(session: Session) -> dict:
    """A creation reply: control token, viewer token and viewer link (presenter mode), then info."""
    viewer = session.viewer_token
    return {"token": session.token, "viewer_token": viewer,
            "viewer_url": f"/?session={session.id}&view={viewer}", **session.info()}


@contextmanager
def creating(prefix: tuple = ("body", "config")) -> Iterator[None]:
    """Around a session's creation: the server (or this client address) is full → 429 with
    Retry-After; a config over a limit → 422
    (its `loc` starts with `prefix`: where the config came from)."""
    try:
        yield
    except SessionLimitError as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(SESSION_RETRY_S)}) from None
    except LimitError as exc:
        raise HTTPException(422, exc.detail(prefix)) from None
