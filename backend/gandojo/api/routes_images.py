"""REST routes of image sessions: creation, dataset catalogue, grid, interpolation, jobs, export."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError

from ..datasets.idx import DataError
from ..datasets.images import DATASETS as IMAGE_DATASETS, SOURCE_NOTES, find_sources
from ..engine import datafetch
from ..engine.image_session import ImageSession
from ..engine.jobs import JobBusyError
from ..engine.manager import SessionManager, token_matches
from ..gan.images.config import MODELS, default_image_config
from .deps import bearer, created, creating, get_manager, readable_session, writable_session
from .routes import run
from .schemas import CreateSession, error_list
from .schemas_images import (ExperimentBody, ExportFormat, GridBody, InterpolateBody, MetricsBody,
                             experiment_size)

router = APIRouter(prefix="/api")


def _field_error(loc: tuple, msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": list(loc), "msg": msg, "type": "value_error"}])


def image_catalog(root: str | None = None, jobs=None) -> dict[str, Any]:
    """What `GET /api/datasets` adds for images: each dataset, whether (and from where) it is here."""
    out = []
    for spec in IMAGE_DATASETS.values():
        found = find_sources(spec.name, root)
        best = found[0] if found else None
        job = datafetch.current_job(jobs, spec.name) if jobs is not None else None
        out.append({"name": spec.name, "title": spec.title, "kind": "image", "available": bool(found),
                    "source": best.source if best else None,
                    "count": best.train_count if best else None,
                    "test_count": best.test_count if best else None,
                    "note": SOURCE_NOTES.get(best.source, best.source) if best else f"Get it: {spec.how_to}",
                    "full": bool(best) and best.source == "download",  # the 70,000-image set is in use
                    "download_job": job.id if job else None,  # POST /api/datasets/{name}/download
                    "classes": list(spec.classes)})
    return {"image_datasets": out, "image_default_config": default_image_config().model_dump(),
            "image_models": list(MODELS)}


def create_image_session(body: CreateSession, manager: SessionManager,
                         owner: str | None = None) -> dict:
    """POST /api/sessions for an image dataset (called by routes.create_session)."""
    for name in ("preset", "pretrained"):
        if getattr(body, name):
            raise _field_error(("body", name), f"image sessions take no {name}")
    patch = dict(body.config or {})
    model = patch.pop("model", "mlp")
    try:
        config = default_image_config(model, **patch)
    except ValidationError as exc:
        raise RequestValidationError(error_list(exc, ("body", "config"))) from None
    except (TypeError, AttributeError) as exc:  # a value given where a section belongs
        raise _field_error(("body", "config"), str(exc)) from None
    try:
        with creating():
            s = manager.create_image(body.dataset, config, body.seed, owner)
    except (DataError, KeyError) as exc:
        raise _field_error(("body", "dataset"), str(exc).strip("'\"")) from None
    s.keep = body.keep
    return created(s)


def _image(session) -> ImageSession:
    if not isinstance(session, ImageSession):
        raise HTTPException(409, f"this route needs an image session; session {session.id} is "
                                 f"{session.kind}")
    return session


def readable_image(session=Depends(readable_session)) -> ImageSession:
    return _image(session)


def writable_image(session=Depends(writable_session)) -> ImageSession:
    return _image(session)


@router.post("/sessions/{sid}/interpolate")
async def interpolate(body: InterpolateBody, session: ImageSession = Depends(writable_image)) -> dict:
    """Latent interpolation between grid samples a and b (a null `a` clears it)."""
    return await run(session.command("interpolate", a=body.a, b=body.b, steps=body.steps))


@router.post("/sessions/{sid}/grid")
async def grid(body: GridBody, session: ImageSession = Depends(writable_image)) -> dict:
    """cgan class picker: all 64 grid samples of one class (null: one row per class)."""
    return await run(session.command("grid", label=body.label))


def _start(start) -> dict:
    try:
        return {"job": start().id}
    except JobBusyError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/sessions/{sid}/metrics", status_code=202)
def start_metrics(body: MetricsBody | None = None,
                  session: ImageSession = Depends(writable_image)) -> dict:
    """FID, IS-style score, precision/recall (own LeNet features) as a background job."""
    body = body or MetricsBody()
    return _start(lambda: session.start_metrics(body.n, body.drs))


@router.post("/sessions/{sid}/experiment", status_code=202)
def start_experiment(body: ExperimentBody | None = None,
                     session: ImageSession = Depends(writable_image)) -> dict:
    """Classifier retraining on real/generated mixes 100/0 … 0/100 as a background job."""
    try:
        size = experiment_size(body or ExperimentBody())
    except ValueError as exc:
        raise _field_error(("body", "generated"), str(exc)) from None
    return _start(lambda: session.start_experiment(**size))


def _job(job_id: str, manager: SessionManager):
    job = manager.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} (finished long ago, or never started)")
    return job


@router.get("/jobs/{job_id}")
def get_job(job_id: str, manager: SessionManager = Depends(get_manager)) -> dict:
    return _job(job_id, manager).describe()


@router.delete("/jobs/{job_id}")
def cancel_job(job_id: str, manager: SessionManager = Depends(get_manager),
               cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
    """Cancel a running job (its session's token); it stops at its next progress report."""
    job = _job(job_id, manager)
    session = manager.get(job.session)
    if cred is None:
        raise HTTPException(401, "cancelling needs 'Authorization: Bearer <session token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if session is None or not token_matches(session, cred.credentials):
        raise HTTPException(403, "the token does not belong to this job's session")
    manager.jobs.cancel(job_id)
    return job.describe()


@router.get("/sessions/{sid}/export", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}, "image/png": {}}}})
async def export(n: int = Query(10_000, ge=1, le=10_000), format: ExportFormat = Query("npz"),
                 session: ImageSession = Depends(readable_image)) -> Response:
    """n fresh samples: .npz (`images` uint8 n×28×28, `labels` for cgan) or a PNG grid."""
    data = await asyncio.to_thread(session.export, n, format)
    name = f"gandojo-{session.trainer.data.name}-{session.trainer.iteration}-{secrets.token_hex(2)}"
    media = "image/png" if format == "png" else "application/octet-stream"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'})
