"""REST routes for saved sessions: save (and keep), list, resume and delete (engine/store.py)."""

from __future__ import annotations

import asyncio
import time
from hmac import compare_digest
from concurrent.futures import TimeoutError as FutureTimeout

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from ..engine.checkpoint import CheckpointError
from ..engine.manager import SessionManager
from ..engine.session import Session
from ..engine.store import (NAME_RE, BadCheckpoint, BadName, NotOwner, NotSaved, SessionStore,
                            StoreError, StoreFull, token_hash)
from .auth import client_address
from .deps import bearer, created, creating, get_manager, writable_session
from .schemas import Problem

router = APIRouter(prefix="/api", tags=["saved sessions"])
NameParam = PathParam(pattern=NAME_RE, description="a saved session's name")


def _errors(*codes: tuple[int, str]) -> dict:
    return {c: {"model": Problem, "description": d} for c, d in codes}


class SaveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, pattern=NAME_RE, description="default: the name it was saved or "
                             "resumed as, else <dataset>-<random>; letters, digits, '_', '-'")
    keep: bool | None = Field(None, description="true: the idle reaper saves it before ending it")


class SavedEntry(BaseModel):
    name: str
    kind: str
    dataset: str
    iteration: int
    saved_at: str = Field(description="UTC, ISO 8601")
    size: int = Field(description="bytes on disk")


class SaveReply(SavedEntry):
    keep: bool


class Skipped(BaseModel):
    file: str
    reason: str


class SavedList(BaseModel):
    saved: list[SavedEntry]
    skipped: list[Skipped] = Field(description="files in the save directory that are not "
                                   "readable GAN Dojo checkpoints (also logged as warnings)")


def get_store(request: Request) -> SessionStore:
    return request.app.state.store


def _http(exc: StoreError) -> HTTPException:
    status = {BadName: 422, NotSaved: 404, NotOwner: 403, StoreFull: 507, BadCheckpoint: 409}
    code = status.get(type(exc), 400)
    if code == 422:
        return HTTPException(422, [{"loc": ["body", "name"], "msg": str(exc), "type": "value_error"}])
    return HTTPException(code, str(exc))


@router.post("/sessions/{sid}/save", response_model=SaveReply,
             responses=_errors((503, "the session is busy"), (507, "the save directory is full")))
async def save_session(body: SaveBody | None = None, session: Session = Depends(writable_session),
                       store: SessionStore = Depends(get_store)) -> dict:
    """Write the session's checkpoint to the server's save directory (atomically)."""
    body = body or SaveBody()
    if body.keep is not None:
        session.keep = body.keep
    try:
        entry = await asyncio.to_thread(store.save_session, session, body.name)
    except StoreError as exc:
        raise _http(exc) from None
    except FutureTimeout:
        raise HTTPException(503, "the session is busy (a long step?); try again") from None
    except RuntimeError as exc:  # the session ended while saving
        raise HTTPException(404, str(exc)) from None
    session.last_active = time.monotonic()  # saving is the owner's activity, however long it took
    return {**entry, "keep": session.keep}


@router.get("/saved", response_model=SavedList)
async def list_saved(store: SessionStore = Depends(get_store)) -> dict:
    """Saved sessions, newest first; unreadable or foreign files are listed under `skipped`."""
    saved, skipped = await asyncio.to_thread(store.list)
    return {"saved": saved, "skipped": skipped}


@router.post("/saved/{name}/resume", status_code=201)
async def resume_saved(request: Request, name: str = NameParam,
                       store: SessionStore = Depends(get_store),
                       manager: SessionManager = Depends(get_manager),
                       cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
    """A new session (new id and token) that continues exactly where the saved one stopped.
    With the saving session's token as Bearer, the new session may also replace the saved entry."""
    try:
        data, entry = await asyncio.to_thread(store.load, name)
        with creating(("body",)):
            s = await asyncio.to_thread(manager.load, data, client_address(request))
    except StoreError as exc:
        raise _http(exc) from None
    except CheckpointError as exc:
        raise HTTPException(409, f"{name!r} cannot be resumed: {exc}") from None
    s.saved_as = name
    owner = entry["owner"]
    if cred and isinstance(owner, str) and compare_digest(owner, token_hash(cred.credentials)):
        s.save_owner = owner
    return {**created(s), "saved_as": name}


@router.delete("/saved/{name}", status_code=204, response_class=Response)
async def delete_saved(name: str = NameParam, store: SessionStore = Depends(get_store),
                       cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Response:
    """Remove a saved session: only the token of the session that saved it may."""
    if cred is None:
        raise HTTPException(401, "send 'Authorization: Bearer <token>' of the session that saved it",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        await asyncio.to_thread(store.delete, name, cred.credentials)
    except StoreError as exc:
        raise _http(exc) from None
    return Response(status_code=204)
