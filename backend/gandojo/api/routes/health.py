"""Server-wide facts: health, every bound a client may need (`GET /api/limits`), where sessions run
(`GET /api/cluster`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import TypeAdapter

from ... import __version__
from ...engine.create import config_schemas
from ..deps import Manager
from ..schemas import Command, SaveBody
from ..schemas_images import ExperimentBody, ExportQuery, MetricsBody
from ..uploads import MAX_CSV_BYTES

router = APIRouter(tags=["server"])
COMMANDS_SCHEMA = TypeAdapter(Command).json_schema()  # the websocket commands' bounds
# the REST bodies and queries whose bounds the page's editors show
REQUESTS = {"metrics": MetricsBody, "experiment": ExperimentBody, "export": ExportQuery, "save": SaveBody}
REQUESTS_SCHEMA = {name: model.model_json_schema() for name, model in REQUESTS.items()}


@router.get("/health")
def health(request: Request) -> dict:
    return {"status": "ok", "device": request.app.state.device, "version": __version__}


@router.get("/limits")
def limits(manager: Manager) -> dict:
    """Every bound in one place: the server's limits (over one: 422 naming the field; how many
    sessions may run), each kind's config model, the websocket commands and the image jobs'
    bodies / the export query (`requests`) as JSON schema."""
    return {"server": {"max_sessions": manager.max_sessions, "max_csv_bytes": MAX_CSV_BYTES,
                       **manager.limits.describe()},
            "config": config_schemas(), "commands": COMMANDS_SCHEMA, "requests": REQUESTS_SCHEMA}


@router.get("/cluster")
def cluster(manager: Manager) -> dict:
    """The workers that hold sessions: mode (single | workers | ray), each worker's node, device,
    sessions and load, and what each lost worker cost (restores)."""
    return manager.cluster_info()
