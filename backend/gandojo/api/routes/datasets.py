"""What can be trained: the dataset catalogue of every kind, the presets, full-dataset downloads."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from ...engine import create, datafetch
from ...engine.kinds import KINDS
from ..deps import Manager

router = APIRouter(tags=["datasets"])


@router.get("/datasets")
def list_datasets(manager: Manager) -> dict:
    """Each kind (datasets, defaults, commands, toggles), which kind each dataset is, and the
    listings: 2D datasets with their view, image datasets with where they come from."""
    return create.datasets(manager.data_root, manager.jobs)


@router.get("/presets")
def list_presets() -> dict:
    return create.presets()


@router.post("/datasets/{name}/download", status_code=202)
def download_dataset(name: str, request: Request, manager: Manager) -> dict:
    """Start (or join) the checksummed download of the full image dataset `name` (MNIST or
    Fashion-MNIST, 70,000 images) into the server's data directory; poll `GET /api/jobs/{job}`.
    A failure (offline, say) ends the job with one readable sentence; the data in use stays."""
    images = KINDS["image"].datasets  # the kind whose datasets are downloaded
    if name not in images:
        raise HTTPException(404, f"no image dataset {name!r}; known: {', '.join(images)}")
    raw = request.app.state.settings.data_mirrors
    mirrors = tuple(m.strip() for m in raw.split(",") if m.strip()) or None
    job = datafetch.start_download(manager.jobs, name, manager.data_root, mirrors)
    return job.describe()
