"""Saved sessions (engine/store.py): save (and keep), list, resume and delete."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import TimeoutError as FutureTimeout

from fastapi import APIRouter, HTTPException, Response
from fastapi import Path as PathParam

from ...engine import create
from ...engine.checkpoint import CheckpointError
from ...engine.store import (NAME_RE, BadCheckpoint, BadName, NotOwner, NotSaved, StoreError,
                             StoreFull)
from ..deps import Client, Credentials, Manager, Store, WritableSession
from ..errors import engine_errors, field_error
from ..replies import created
from ..schemas import Problem, SaveBody, SavedList, SaveReply

router = APIRouter(tags=["saved sessions"])
NameParam = PathParam(pattern=NAME_RE, description="a saved session's name")


def _errors(*codes: tuple[int, str]) -> dict:
    return {c: {"model": Problem, "description": d} for c, d in codes}


def _http(exc: StoreError) -> Exception:
    if isinstance(exc, BadName):
        return field_error(["body", "name"], str(exc))
    status = {NotSaved: 404, NotOwner: 403, StoreFull: 507, BadCheckpoint: 409}
    return HTTPException(status.get(type(exc), 400), str(exc))


@router.post("/sessions/{sid}/save", response_model=SaveReply,
             responses=_errors((503, "the session is busy"), (507, "the save directory is full")))
async def save_session(session: WritableSession, store: Store, body: SaveBody | None = None) -> dict:
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
async def list_saved(store: Store) -> dict:
    """Saved sessions, newest first; unreadable or foreign files are listed under `skipped`."""
    saved, skipped = await asyncio.to_thread(store.list)
    return {"saved": saved, "skipped": skipped}


@router.post("/saved/{name}/resume", status_code=201)
async def resume_saved(store: Store, manager: Manager, client: Client, cred: Credentials,
                       name: str = NameParam) -> dict:
    """A new session (new id and token) that continues exactly where the saved one stopped.
    With the saving session's token as Bearer, the new session may also replace the saved entry."""
    token = cred.credentials if cred else None
    try:
        with engine_errors(("body",)):
            s = await asyncio.to_thread(create.from_saved, manager, store, name, client, token)
    except StoreError as exc:
        raise _http(exc) from None
    except CheckpointError as exc:
        raise HTTPException(409, f"{name!r} cannot be resumed: {exc}") from None
    return {**created(s), "saved_as": name}


@router.delete("/saved/{name}", status_code=204, response_class=Response)
async def delete_saved(store: Store, cred: Credentials, name: str = NameParam) -> Response:
    """Remove a saved session: only the token of the session that saved it may."""
    if cred is None:
        raise HTTPException(401, "send 'Authorization: Bearer <token>' of the session that saved it",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        await asyncio.to_thread(store.delete, name, cred.credentials)
    except StoreError as exc:
        raise _http(exc) from None
    return Response(status_code=204)
