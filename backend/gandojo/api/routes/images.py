"""Routes of image sessions only: interpolation, the cgan class picker, metric and experiment jobs, export."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Callable

from fastapi import APIRouter, HTTPException, Query, Response

from ...engine.jobs import Job, JobBusyError
from ..deps import ReadableImage, WritableImage
from ..errors import field_error, run
from ..schemas import GridBody, InterpolateBody
from ..schemas_images import ExperimentBody, ExportQuery, MetricsBody, experiment_size

router = APIRouter(tags=["images"])


@router.post("/sessions/{sid}/interpolate")
async def interpolate(body: InterpolateBody, session: WritableImage) -> dict:
    """Latent interpolation between grid samples a and b (a null `a` clears it)."""
    return await run(session.command("interpolate", a=body.a, b=body.b, steps=body.steps))


@router.post("/sessions/{sid}/grid")
async def grid(body: GridBody, session: WritableImage) -> dict:
    """cgan class picker: all 64 grid samples of one class (null: one row per class)."""
    return await run(session.command("grid", label=body.label))


def _start(start: Callable[[], Job]) -> dict:
    try:
        return {"job": start().id}
    except JobBusyError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/sessions/{sid}/metrics", status_code=202)
def start_metrics(session: WritableImage, body: MetricsBody | None = None) -> dict:
    """FID, IS-style score, precision/recall (own LeNet features) as a background job."""
    body = body or MetricsBody()
    return _start(lambda: session.start_metrics(body.n, body.drs))


@router.post("/sessions/{sid}/experiment", status_code=202)
def start_experiment(session: WritableImage, body: ExperimentBody | None = None) -> dict:
    """Classifier retraining on real/generated mixes 100/0 … 0/100 as a background job."""
    try:
        size = experiment_size(body or ExperimentBody())
    except ValueError as exc:
        raise field_error(["body", "generated"], str(exc)) from None
    return _start(lambda: session.start_experiment(**size))


@router.get("/sessions/{sid}/export", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}, "image/png": {}}}})
async def export(session: ReadableImage, query: Annotated[ExportQuery, Query()]) -> Response:
    """n fresh samples: .npz (`images` uint8 n×28×28, `labels` for cgan) or a PNG grid."""
    n, format = query.n, query.format
    data = await asyncio.to_thread(session.export, n, format)
    info = session.info()
    name = f"gandojo-{info['dataset']}-{info['iteration']}-{secrets.token_hex(2)}"
    media = "image/png" if format == "png" else "application/octet-stream"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'})
