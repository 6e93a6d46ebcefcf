"""Session creation from a request (preset, config, pretrained, checkpoint, saved name) and the
config models' JSON schemas: the one engine entry point the API calls to start a session."""

from __future__ import annotations

from typing import Any

from ..gan.config import GanConfig
from ..gan.images.config import ImageGanConfig


def config_schemas() -> dict[str, dict[str, Any]]:
    """Each session kind's config model as JSON schema (bounds as minimum/maximum/enum)."""
    return {"2d": GanConfig.model_json_schema(), "image": ImageGanConfig.model_json_schema()}
