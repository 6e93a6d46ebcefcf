"""Error replies: 422s that stay valid JSON whatever the client sent, and the engine's refusals.

FastAPI's own 422 echoes the offending `input`; a body with NaN, Infinity or 1e400 (Python's json
reads them as floats) then cannot be rendered as JSON and became a 500 (and the connection was
reset). Here every non-finite number in an error is replaced by its name ("NaN", "Infinity").
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..engine.base import CommandUnavailable


def finite_json(value: Any) -> Any:
    """`value` with every non-finite float replaced by a string ("NaN", "Infinity", "-Infinity")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{k: v for k, v in e.items() if k != "url"} for e in exc.errors()]
    return JSONResponse({"detail": finite_json(jsonable_encoder(errors))}, status_code=422)


async def _unavailable(request: Request, exc: CommandUnavailable) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(CommandUnavailable, _unavailable)  # e.g. a 2D-only route on images
