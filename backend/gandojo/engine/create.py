"""Sessions from a request: a preset, a partial config, a pretrained start, a checkpoint or a saved
name — the one engine entry point the API calls to start a session (it asks the manager to build it)."""

from __future__ import annotations

from dataclasses import dataclass
from hmac import compare_digest
from typing import Any, Callable

from ..datasets.idx import DataError
from ..datasets.images import SOURCE_NOTES, find_sources
from ..gan.config import GanConfig, deep_merge
from ..gan.datasets import CUSTOM_TITLES
from ..gan.images.config import default_image_config
from ..gan.presets import KNOBS, PRESETS
from . import checkpoint, datafetch, image_checkpoint, pretrained
from .base import BaseSession
from .jobs import JobRegistry
from .kinds import KINDS, catalogue, kind_for_dataset
from .manager import SessionManager
from .store import SessionStore, token_hash

MAX_CHECKPOINT_BYTES = max(checkpoint.MAX_BYTES, image_checkpoint.MAX_BYTES)  # of any kind


class RequestError(ValueError):
    """A creation request that cannot be met; `field` names the request field (e.g. "pretrained")."""

    def __init__(self, field: str, msg: str) -> None:
        self.field = field
        super().__init__(msg)


@dataclass(frozen=True)
class SessionRequest:
    """What `POST /api/sessions` asks for (bounds are checked by the API's schema first)."""

    dataset: str = "gaussians"
    seed: int | None = None
    preset: str | None = None
    config: dict[str, Any] | None = None  # partial, merged onto the defaults (or the preset's)
    pretrained: bool = False  # start from the shipped converged model of the dataset
    keep: bool = False  # the idle reaper saves it before ending it


def datasets(root: str | None = None, jobs: JobRegistry | None = None) -> dict[str, Any]:
    """What can be trained (GET /api/datasets): every kind as the registry describes it (its
    datasets, defaults, commands, toggles), the dataset → kind table, and each dataset's listing."""
    two, image = KINDS["2d"], KINDS["image"]
    return {"default": two.describe()["default_dataset"],
            "default_config": two.default_config().model_dump(),
            "datasets": [{"name": d.name, "title": d.title, "kind": two.name,
                          "view": {"x": list(d.view[0]), "y": list(d.view[1])},
                          "modes_total": d.modes_total} for d in two.datasets.values()],
            "custom_datasets": [{"name": n, "title": t, "kind": two.name}  # drawn / uploaded points
                                for n, t in CUSTOM_TITLES.items()],
            "image_datasets": [_image_listing(spec, root, jobs) for spec in image.datasets.values()],
            "image_default_config": image.default_config().model_dump(),
            "image_models": image.extras["models"], **catalogue()}


def _image_listing(spec: Any, root: str | None, jobs: JobRegistry | None) -> dict[str, Any]:
    """One image dataset: whether (and from where) it is on this machine, and how to get it."""
    found = find_sources(spec.name, root)
    best = found[0] if found else None
    job = datafetch.current_job(jobs, spec.name) if jobs is not None else None
    return {"name": spec.name, "title": spec.title, "kind": "image", "available": bool(found),
            "source": best.source if best else None,
            "count": best.train_count if best else None,
            "test_count": best.test_count if best else None,
            "note": SOURCE_NOTES.get(best.source, best.source) if best else f"Get it: {spec.how_to}",
            "full": bool(best) and best.source == "download",  # the 70,000-image set is in use
            "download_job": job.id if job else None,  # POST /api/datasets/{name}/download
            "classes": list(spec.classes)}


def presets() -> dict[str, Any]:
    """What a 2D session can start from or pull (GET /api/presets)."""
    return {"presets": [p.describe() for p in PRESETS.values()],
            "knobs": [k.describe() for k in KNOBS.values()], "pretrained": pretrained.available()}


def config_schemas() -> dict[str, dict[str, Any]]:
    """Each session kind's config model as JSON schema (bounds as minimum/maximum/enum)."""
    return {name: kind.config_model.model_json_schema() for name, kind in KINDS.items()}


def create_session(manager: SessionManager, req: SessionRequest,
                   owner: str | None = None) -> BaseSession:
    """A new session for `req`, held by client address `owner`. Raises RequestError (naming the
    field), pydantic.ValidationError (of the config), LimitError or SessionLimitError."""
    start = _STARTS[kind_for_dataset(req.dataset).name]
    session = start(manager, req, owner)
    session.keep = req.keep
    return session


def _start_2d(manager: SessionManager, req: SessionRequest, owner: str | None) -> BaseSession:
    if req.pretrained:
        if req.preset is not None or req.config is not None:
            raise RequestError("pretrained", "a pretrained start takes no preset or config")
        try:
            trainer = pretrained.load(req.dataset, manager.device)
        except FileNotFoundError as exc:
            raise RequestError("pretrained", str(exc)) from None
        return manager.adopt(trainer, owner)
    base = (PRESETS[req.preset].config() if req.preset is not None else GanConfig()).model_dump()
    config = GanConfig.model_validate(deep_merge(base, req.config or {}))
    return manager.create(req.dataset, config, req.seed, owner)


def _start_image(manager: SessionManager, req: SessionRequest, owner: str | None) -> BaseSession:
    for name in ("preset", "pretrained"):
        if getattr(req, name):
            raise RequestError(name, f"image sessions take no {name}")
    patch = dict(req.config or {})
    model = patch.pop("model", "mlp")  # each model has defaults of its own
    try:
        config = default_image_config(model, **patch)
    except (TypeError, AttributeError) as exc:  # a value given where a section belongs
        raise RequestError("config", str(exc)) from None
    try:
        return manager.create(req.dataset, config, req.seed, owner)
    except (DataError, KeyError) as exc:  # not on this machine: the message says how to get it
        raise RequestError("dataset", str(exc).strip("'\"")) from None


_STARTS: dict[str, Callable[[SessionManager, SessionRequest, str | None], BaseSession]] = {
    "2d": _start_2d, "image": _start_image}


def from_checkpoint(manager: SessionManager, data: bytes, owner: str | None = None) -> BaseSession:
    """A new session resuming checkpoint bytes of any kind (CheckpointError, LimitError, ...)."""
    return manager.load(data, owner)


def from_saved(manager: SessionManager, store: SessionStore, name: str, owner: str | None = None,
               token: str | None = None) -> BaseSession:
    """A new session continuing saved session `name` (StoreError, CheckpointError, ...); with the
    saving session's `token` it may also replace the saved entry when it is saved again."""
    data, entry = store.load(name)
    session = manager.load(data, owner)
    session.saved_as = name
    saver = entry["owner"]
    if token and isinstance(saver, str) and compare_digest(saver, token_hash(token)):
        session.save_owner = saver
    return session
