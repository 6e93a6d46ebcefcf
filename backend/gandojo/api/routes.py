"""REST routes: health, datasets, presets and session control (thin: validate, call engine, serialize)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from .. import __version__
from ..engine.base import InputError, SessionEnded
from ..engine.base import CommandFailed
from ..engine.limits import LimitError
from ..engine.manager import SessionManager
from ..engine.render import render_png
from ..engine.session import Session
from ..gan.config import GanConfig, deep_merge
from ..gan.datasets import DATASETS
from ..engine import pretrained
from ..engine.create import config_schemas
from ..gan.presets import KNOBS, PRESETS
from .auth import client_address
from .deps import created, creating, get_manager, readable_session, writable_session
from .schemas import Command, CreateSession, KnobBody, PlayBody, PresetBody, ResetBody, StepBody, error_list
from .schemas_images import kind_of, reset_kind_error

router = APIRouter(prefix="/api")
COMMANDS_SCHEMA = TypeAdapter(Command).json_schema()  # websocket commands, for GET /api/limits


async def run(fut: Future, prefix: tuple = ("body",)) -> Any:
    """Await an engine command; its config errors and limits become 422s naming the field."""
    try:
        return await asyncio.wrap_future(fut)
    except ValidationError as exc:
        raise RequestValidationError(error_list(exc, prefix)) from None
    except LimitError as exc:
        raise HTTPException(422, exc.detail(prefix)) from None
    except InputError as exc:
        raise RequestValidationError([{"loc": [*prefix, exc.field], "msg": str(exc),
                                       "type": "value_error"}]) from None
    except SessionEnded as exc:  # deleted while this call waited in its queue
        raise HTTPException(410, str(exc)) from None
    except CommandFailed as exc:  # the session paused; it still answers
        raise HTTPException(409, str(exc)) from None


@router.get("/health")
def health(request: Request) -> dict:
    return {"status": "ok", "device": request.app.state.device, "version": __version__}


@router.get("/datasets")
def datasets(manager: SessionManager = Depends(get_manager)) -> dict:
    from .routes_images import image_catalog  # it imports this module (run)

    return {"default": "gaussians", "default_config": GanConfig().model_dump(), "datasets": [
        {"name": d.name, "title": d.title, "view": {"x": list(d.view[0]), "y": list(d.view[1])},
         "modes_total": d.modes_total} for d in DATASETS.values()],
        **image_catalog(manager.data_root, manager.jobs)}


@router.get("/presets")
def presets() -> dict:
    return {"presets": [p.describe() for p in PRESETS.values()],
            "knobs": [k.describe() for k in KNOBS.values()],
            "pretrained": pretrained.available()}


@router.get("/sessions")
def list_sessions(manager: SessionManager = Depends(get_manager)) -> dict:
    return {"count": len(manager), "max_sessions": manager.max_sessions,
            "limits": manager.limits.describe()}


@router.get("/limits")
def limits(manager: SessionManager = Depends(get_manager)) -> dict:
    """Every bound in one place: the server's limits (over one: 422 naming the field; how many
    sessions may run), each kind's config model and the websocket commands as JSON schema."""
    return {"server": {"max_sessions": manager.max_sessions, **manager.limits.describe()},
            "config": config_schemas(), "commands": COMMANDS_SCHEMA}


@router.post("/sessions", status_code=201)
def create_session(request: Request, body: CreateSession | None = None,
                   manager: SessionManager = Depends(get_manager)) -> dict:
    body, owner = body or CreateSession(), client_address(request)  # sessions count per address
    if kind_of(body.dataset) == "image":
        from .routes_images import create_image_session  # it imports this module (run)

        return create_image_session(body, manager, owner)
    if body.pretrained:
        return _create_pretrained(body, manager, owner)
    base = GanConfig().model_dump()
    if body.preset is not None:
        base = PRESETS[body.preset].config().model_dump()
    try:
        config = GanConfig.model_validate(deep_merge(base, body.config or {}))
    except ValidationError as exc:
        raise RequestValidationError(error_list(exc, ("body", "config"))) from None
    with creating():
        s = manager.create(body.dataset, config, body.seed, owner)
    s.keep = body.keep
    return created(s)


def _create_pretrained(body: CreateSession, manager: SessionManager, owner: str) -> dict:
    if body.preset is not None or body.config is not None:
        raise RequestValidationError([{"loc": ["body", "pretrained"], "type": "value_error",
                                       "msg": "a pretrained start takes no preset or config"}])
    try:
        with creating():
            s = manager.adopt(pretrained.load(body.dataset, manager.device), owner)
    except FileNotFoundError as exc:
        raise RequestValidationError([{"loc": ["body", "pretrained"], "type": "value_error",
                                       "msg": str(exc)}]) from None
    s.keep = body.keep
    return created(s)


@router.post("/sessions/{sid}/preset")
async def apply_preset(body: PresetBody, session: Session = Depends(writable_session)) -> dict:
    """Start over with a preset (switching to its dataset when it is tuned for one)."""
    return await run(session.command("preset", name=body.name))


@router.post("/sessions/{sid}/knob")
async def pull_knob(body: KnobBody, session: Session = Depends(writable_session)) -> dict:
    """One live change, e.g. "d-lr-x10"; returns the new config."""
    msg = await run(session.command("knob", name=body.name))
    return {"config": msg["config"], "rebuilt": msg["rebuilt"]}


@router.get("/sessions/{sid}")
def get_session(session: Session = Depends(readable_session)) -> dict:
    return session.info()


@router.delete("/sessions/{sid}", status_code=204, dependencies=[Depends(writable_session)])
def delete_session(sid: str, manager: SessionManager = Depends(get_manager)) -> Response:
    manager.delete(sid)
    return Response(status_code=204)


@router.patch("/sessions/{sid}/config")
async def patch_config(patch: dict[str, Any] = Body(..., description="partial config"),
                       session: Session = Depends(writable_session)) -> dict:
    msg = await run(session.command("config", patch=patch))
    return {"config": msg["config"], "rebuilt": msg["rebuilt"]}


@router.post("/sessions/{sid}/step")
async def step(body: StepBody | None = None,
               session: Session = Depends(writable_session)) -> dict:
    body = body or StepBody()
    return await run(session.command("step", n=body.n, part=body.part))


@router.post("/sessions/{sid}/play")
async def play(body: PlayBody | None = None, session: Session = Depends(writable_session)) -> dict:
    body = body or PlayBody()
    return await run(session.command("play", until=body.until))


@router.post("/sessions/{sid}/pause")
async def pause(session: Session = Depends(writable_session)) -> dict:
    return await run(session.command("pause"))


@router.post("/sessions/{sid}/reset")
async def reset(body: ResetBody | None = None,
                session: Session = Depends(writable_session)) -> dict:
    body = body or ResetBody()
    if (why := reset_kind_error(session.kind, body.dataset)) is not None:
        raise RequestValidationError([{"loc": ["body", "dataset"], "msg": why, "type": "value_error"}])
    return await run(session.command("reset", dataset=body.dataset, seed=body.seed))


@router.get("/sessions/{sid}/snapshot")
async def snapshot(session: Session = Depends(readable_session)) -> JSONResponse:
    frame = await run(session.command("snapshot"))
    return JSONResponse({"id": session.id, **frame.to_json()})


@router.get("/sessions/{sid}/snapshot.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def snapshot_png(session: Session = Depends(readable_session)) -> Response:
    frame = await run(session.command("snapshot"))
    png = await asyncio.to_thread(render_png, frame)
    return Response(png, media_type="image/png")
