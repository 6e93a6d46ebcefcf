"""Sessions as a resource: create (from a request or a checkpoint), list, read, end, download state."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from ...engine import create
from ...engine.checkpoint import CheckpointError
from ..deps import Client, Manager, ReadableSession, WritableSession
from ..errors import engine_errors, field_error, run
from ..replies import created
from ..schemas import CreateSession
from ..uploads import MAX_UPLOAD, read_body

router = APIRouter(tags=["sessions"])


@router.post("/sessions/load", status_code=201, openapi_extra={"requestBody": {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "required": True}})
async def load_checkpoint(request: Request, manager: Manager, client: Client) -> dict:
    """A new session from an uploaded checkpoint; it resumes exactly where the file left off."""
    data = await read_body(request, MAX_UPLOAD)
    try:
        with engine_errors(("body",)):
            s = await asyncio.to_thread(create.from_checkpoint, manager, data, client)
    except CheckpointError as exc:  # `loc` names the tensor or metadata field to blame
        raise field_error(["body", *([exc.entry] if exc.entry else [])], str(exc)) from None
    return created(s)


@router.post("/sessions", status_code=201)
def create_session(manager: Manager, client: Client, body: CreateSession | None = None) -> dict:
    """A session from a preset, a partial config (merged onto the defaults) or a pretrained start."""
    req = create.SessionRequest(**(body or CreateSession()).model_dump())
    with engine_errors(("body",), config=("body", "config")):
        return created(create.create_session(manager, req, client))


@router.get("/sessions")
def list_sessions(manager: Manager) -> dict:
    return {"count": len(manager), "max_sessions": manager.max_sessions,
            "limits": manager.limits.describe()}


@router.get("/sessions/{sid}")
def get_session(session: ReadableSession, manager: Manager) -> dict:
    return {**session.info(), **manager.where(session)}  # where: worker, node, device


@router.delete("/sessions/{sid}", status_code=204)
def delete_session(session: WritableSession, manager: Manager) -> Response:
    manager.delete(session.id)
    return Response(status_code=204)


@router.get("/sessions/{sid}/checkpoint", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def get_checkpoint(session: ReadableSession) -> Response:
    """The session's full state (2D or image) as a safetensors file (weights, optimizers, RNG,
    config); `POST /api/sessions/load` resumes it."""
    data = await run(session.command("checkpoint"))
    info = session.info()  # 2D and image sessions alike
    name = f"gandojo-{info['dataset']}-{info['iteration']}.safetensors"
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
