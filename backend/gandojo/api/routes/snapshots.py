"""The current frame of a session: as JSON, or drawn as a PNG (distribution plot or sample grid)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from ...engine.render import render_png
from ..deps import ReadableSession
from ..errors import run

router = APIRouter(tags=["snapshots"])


@router.get("/sessions/{sid}/snapshot")
async def snapshot(session: ReadableSession) -> JSONResponse:
    frame = await run(session.command("snapshot"))
    return JSONResponse({"id": session.id, **frame.to_json()})


@router.get("/sessions/{sid}/snapshot.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def snapshot_png(session: ReadableSession) -> Response:
    frame = await run(session.command("snapshot"))
    png = await asyncio.to_thread(render_png, frame)
    return Response(png, media_type="image/png")
