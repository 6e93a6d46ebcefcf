"""REST routes for data: drawn/CSV points, DRS, lockstep, checkpoints, and a full image dataset's download."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..engine import datafetch
from ..engine.checkpoint import CheckpointError
from ..engine.manager import SessionManager, token_matches
from ..engine.session import Session
from ..datasets.images import DATASETS as IMAGE_DATASETS
from ..engine.image_checkpoint import MAX_BYTES as IMAGE_CHECKPOINT_BYTES
from .auth import client_address
from .deps import created, creating, get_manager, readable_session, writable_session
from .routes import run
from .uploads import MAX_ABS, MAX_CSV_BYTES, MAX_POINTS, PointsError, check_points, parse_csv

router = APIRouter(prefix="/api")
Point = Annotated[list[Annotated[float, Field(ge=-MAX_ABS, le=MAX_ABS)]],
                  Field(min_length=2, max_length=2)]  # the bounds check_points enforces
CSV_ROW = r"[ \t]*-?[0-9]{1,6}(\.[0-9]{1,6})?[ \t]*,[ \t]*-?[0-9]{1,6}(\.[0-9]{1,6})?[ \t]*"
CSV_SCHEMA = {"type": "string", "maxLength": MAX_CSV_BYTES,  # what the schema promises is accepted
              "pattern": f"^({CSV_ROW}\r?\n){{0,9999}}{CSV_ROW}\r?\n?$"}  # ≤ 10,000 rows
MAX_UPLOAD = IMAGE_CHECKPOINT_BYTES  # the largest checkpoint (images); max_upload_bytes caps it too


class PointsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    points: list[Point] = Field(min_length=1, max_length=MAX_POINTS)


class DrsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    on: bool
    percentile: float = Field(95.0, ge=1.0, le=99.9)


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    follower: str = Field(max_length=64)
    follower_token: str = Field(max_length=128)


async def _body(request: Request, limit: int) -> bytes:
    """The raw request body, refused with 413 past `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is over the {limit}-byte limit")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"body is over the {limit}-byte limit")
    return bytes(data)


def _points_error(exc: PointsError, loc: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body", loc], "msg": str(exc), "type": "value_error"}])


@router.put("/sessions/{sid}/points")
async def put_points(body: PointsBody, session: Session = Depends(writable_session)) -> dict:
    """Train on drawn points (the `drawn` dataset: a random point + 0.02·ε)."""
    try:
        pts = check_points(body.points)
    except PointsError as exc:
        raise _points_error(exc, "points") from None
    return await run(session.command("points", points=pts, source="drawn"))


@router.put("/sessions/{sid}/points.csv", openapi_extra={"requestBody": {
    "content": {"text/csv": {"schema": CSV_SCHEMA}}, "required": True}})
async def put_points_csv(request: Request, session: Session = Depends(writable_session)) -> dict:
    """Train on uploaded `x,y` rows (≤ 1 MB, ≤ 10,000 points, optional header row)."""
    try:
        pts = parse_csv(await _body(request, MAX_CSV_BYTES))
    except PointsError as exc:
        raise _points_error(exc, "csv") from None
    return await run(session.command("points", points=pts, source="csv"))


@router.post("/sessions/{sid}/drs")
async def set_drs(body: DrsBody, session: Session = Depends(writable_session)) -> dict:
    return await run(session.command("drs", on=body.on, percentile=body.percentile))


@router.post("/sessions/{sid}/link")
async def link(body: LinkBody, session: Session = Depends(writable_session),
               manager: SessionManager = Depends(get_manager)) -> dict:
    """Step another session (whose token you hold) in lockstep with this one, same seed."""
    follower = manager.get(body.follower)
    if follower is None:
        raise HTTPException(404, f"no session {body.follower!r} to follow")
    if not token_matches(follower, body.follower_token):
        raise HTTPException(403, "follower_token does not belong to the follower session")
    try:
        return await run(session.command("link", follower=follower))
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


@router.delete("/sessions/{sid}/link")
async def unlink(session: Session = Depends(writable_session)) -> dict:
    return await run(session.command("link", follower=None))


@router.get("/sessions/{sid}/checkpoint", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
async def get_checkpoint(session: Session = Depends(readable_session)) -> Response:
    """The session's full state (2D or image) as a safetensors file (weights, optimizers, RNG,
    config); `POST /api/sessions/load` resumes it."""
    data = await run(session.command("checkpoint"))
    info = session.info()  # 2D and image sessions alike
    name = f"gandojo-{info['dataset']}-{info['iteration']}.safetensors"
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/sessions/load", status_code=201, openapi_extra={"requestBody": {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    "required": True}})
async def load_checkpoint(request: Request, manager: SessionManager = Depends(get_manager)) -> dict:
    """A new session from an uploaded checkpoint; it resumes exactly where the file left off."""
    data = await _body(request, MAX_UPLOAD)
    try:
        with creating(("body",)):
            s = await asyncio.to_thread(manager.load, data, client_address(request))
    except CheckpointError as exc:  # `loc` names the tensor or metadata field to blame
        loc = ["body", *([exc.entry] if exc.entry else [])]
        raise HTTPException(422, [{"loc": loc, "msg": str(exc), "type": "value_error"}]) from None
    return created(s)


@router.post("/datasets/{name}/download", status_code=202)
def download_dataset(name: str, request: Request, manager: SessionManager = Depends(get_manager)) -> dict:
    """Start (or join) the checksummed download of the full image dataset `name` (MNIST or
    Fashion-MNIST, 70,000 images) into the server's data directory; poll `GET /api/jobs/{job}`.
    A failure (offline, say) ends the job with one readable sentence; the data in use stays."""
    if name not in IMAGE_DATASETS:
        raise HTTPException(404, f"no image dataset {name!r}; known: {', '.join(IMAGE_DATASETS)}")
    raw = request.app.state.settings.data_mirrors
    mirrors = tuple(m.strip() for m in raw.split(",") if m.strip()) or None
    job = datafetch.start_download(manager.jobs, name, manager.data_root, mirrors)
    return job.describe()
