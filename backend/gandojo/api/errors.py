"""Error replies: one helper for every 422 naming a field, engine refusals as 4xx, JSON-safe 422s.

FastAPI's own 422 echoes the offending `input`; a body with NaN, Infinity or 1e400 (Python's json
reads them as floats) then cannot be rendered as JSON and became a 500 (and the connection was
reset). Here every non-finite number in an error is replaced by its name ("NaN", "Infinity").
"""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ..engine.base import CommandFailed, CommandUnavailable, InputError, SessionEnded
from ..engine.create import RequestError
from ..engine.limits import LimitError
from ..engine.manager import SessionLimitError
from .schemas import error_list

SESSION_RETRY_S = 30  # a full server (or client): when to try again


def field_error(loc: Sequence[str | int], msg: str, type: str = "value_error") -> RequestValidationError:
    """The 422 naming one field: `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`."""
    return RequestValidationError([{"loc": list(loc), "msg": msg, "type": type}])


@contextmanager
def engine_errors(prefix: tuple = ("body",), config: tuple | None = None) -> Iterator[None]:
    """Around an engine call: each refusal becomes the 4xx naming its field, located under
    `prefix` (config validation and limits under `config`, default `prefix`)."""
    config = prefix if config is None else config
    try:
        yield
    except ValidationError as exc:
        raise RequestValidationError(error_list(exc, config)) from None
    except LimitError as exc:
        raise RequestValidationError(exc.detail(config)) from None
    except InputError as exc:
        raise field_error([*prefix, exc.field], str(exc)) from None
    except RequestError as exc:
        raise field_error([*prefix, *exc.field.split(".")], str(exc)) from None
    except SessionLimitError as exc:  # the server (or this client address) is full
        raise HTTPException(429, str(exc), headers={"Retry-After": str(SESSION_RETRY_S)}) from None
    except SessionEnded as exc:  # deleted while this call waited in its queue
        raise HTTPException(410, str(exc)) from None
    except CommandFailed as exc:  # the session paused; it still answers
        raise HTTPException(409, str(exc)) from None


async def run(fut: Future, prefix: tuple = ("body",)) -> Any:
    """Await an engine command; its config errors and limits become 422s naming the field."""
    with engine_errors(prefix):
        return await asyncio.wrap_future(fut)


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
