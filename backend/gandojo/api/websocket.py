"""The session websocket: JSON commands in; binary frames and JSON events out, newest frame only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import TypeAdapter, ValidationError

from ..engine.base import BaseSession, CommandUnavailable, InputError
from ..engine.fanout import Subscriber
from ..engine.limits import LimitError
from ..engine.manager import token_matches, viewer_matches
from .errors import finite_json
from .schemas import COMMAND_NAMES, READ_ONLY_COMMANDS, Command, describe, error_list
from .uploads import PointsError, check_points

router = APIRouter()
_commands: TypeAdapter = TypeAdapter(Command)
MAX_REPLIES_WAITING = 16  # replies queued for one client before its next command is read
UNREAD_TIMEOUT_S = 30.0  # a client that reads none of them for this long is closed (1008)


async def _sender(ws: WebSocket, session: BaseSession, sub: Subscriber, wake: asyncio.Event,
                  drained: asyncio.Event) -> None:
    """Send queued text messages, then the newest frame if it is new to this client."""
    while True:
        await wake.wait()
        wake.clear()
        while (msg := sub.pop()) is not None:
            await ws.send_text(json.dumps(finite_json(msg), allow_nan=False))
            drained.set()
        if session.closed:  # deleted or reaped: say so (the "ended" message went out above)
            await ws.close(code=4404, reason="the session has ended")
            return
        latest = session.latest()
        if latest is not None and latest[0] != sub.sent_seq:
            sub.sent_seq = latest[0]
            await ws.send_bytes(latest[1])


def _error(detail: str, field: str | None = None) -> dict[str, Any]:
    return {"type": "error", "detail": detail, "field": field}


def _validation_error(exc: ValidationError, prefix: tuple = ()) -> dict[str, Any]:
    """An error message naming the first broken field (without the union's command tag)."""
    errs = error_list(exc, prefix)
    for e in errs:
        if not prefix and len(e["loc"]) > 1 and e["loc"][0] in COMMAND_NAMES:
            e["loc"] = e["loc"][1:]
    return _error(describe(errs), ".".join(str(p) for p in errs[0]["loc"]) if errs else None)


async def _handle(text: str | None, session: BaseSession, writable: bool, limit: int) -> dict[str, Any]:
    """One incoming message → the reply to queue (ack or error). Never raises for bad input."""
    if text is None:
        return _error("binary messages are not commands; send JSON text like {\"cmd\":\"play\"}")
    if len(text) > limit // 4 and (size := len(text.encode())) > limit:  # bytes, not characters
        return _error(f"message of {size} bytes is over the limit of {limit}")
    try:
        cmd = _commands.validate_json(text)
    except ValidationError as exc:
        return _validation_error(exc)
    name = cmd.cmd
    if not writable and name not in READ_ONLY_COMMANDS:
        return _error(f"{cmd.cmd!r} refused: this socket is a read-only viewer; only the session "
                      "token controls (connect with ?token=<session token>)", "token")
    args = cmd.arguments()  # the handler's keyword arguments (config → patch)
    if name == "snapshot":
        name = "publish"
    try:
        if name == "points":
            args["points"] = check_points(args["points"])
        result = await asyncio.wrap_future(session.command(name, **args))
    except ValidationError as exc:
        return _validation_error(exc, ("config",))
    except PointsError as exc:
        return _error(str(exc), "points")
    except LimitError as exc:
        field = f"config.{exc.field}" if name in ("config", "preset", "knob") else exc.field
        return _error(f"{cmd.cmd!r} refused: {exc}", field)
    except InputError as exc:
        return _error(f"{cmd.cmd!r} refused: {exc}", exc.field)
    except CommandUnavailable as exc:
        return _error(str(exc), "cmd")
    except Exception as exc:  # a bug must not kill the socket: report it and carry on
        return _error(f"command {cmd.cmd!r} failed: {type(exc).__name__}: {exc}")
    reply = {"type": "ack", "cmd": cmd.cmd, "iteration": session.iteration}
    if isinstance(result, dict) and "losses" in result:
        reply["losses"] = result["losses"]
    return reply


@router.websocket("/ws/sessions/{sid}")
async def session_socket(ws: WebSocket, sid: str, token: str | None = None) -> None:
    session = ws.app.state.manager.get(sid)
    if session is None:
        await ws.close(code=4404, reason="no such session")
        return
    writable = token_matches(session, token)
    if token is not None and not writable and not viewer_matches(session, token):
        await ws.close(code=4403, reason="the token does not belong to this session")
        return
    await ws.accept()
    loop, wake = asyncio.get_running_loop(), asyncio.Event()
    sub = Subscriber(lambda: loop.call_soon_threadsafe(wake.set), viewer=not writable)
    sub.push({"type": "hello", "writable": writable,
              "role": "presenter" if writable else "viewer", **session.hello()})
    session.subscribe(sub)
    drained = asyncio.Event()
    sender = asyncio.create_task(_sender(ws, session, sub, wake, drained))
    limit = ws.app.state.settings.max_ws_message_bytes
    try:
        while True:
            if not await _backpressure(sub, drained):
                await ws.close(code=1008, reason="replies unread for "
                               f"{UNREAD_TIMEOUT_S:.0f} s: read your socket")
                break
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            sub.reply(await _handle(msg.get("text"), session, writable, limit))
            wake.set()
    except WebSocketDisconnect:
        pass
    finally:
        session.unsubscribe(sub)
        sender.cancel()


async def _backpressure(sub: Subscriber, drained: asyncio.Event) -> bool:
    """Read no further command while MAX_REPLIES_WAITING replies wait to be sent (every reply
    reaches the client, none is dropped); False when the client read none for UNREAD_TIMEOUT_S."""
    deadline = asyncio.get_running_loop().time() + UNREAD_TIMEOUT_S
    while True:
        drained.clear()  # then check: the sender runs on this loop, so no send slips between
        if sub.replies_waiting < MAX_REPLIES_WAITING:
            return True
        left = deadline - asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(drained.wait(), max(0.0, left))
        except asyncio.TimeoutError:
            return False
