"""Server guards as one ASGI middleware: optional password, Origin checks, request-body limits.

- Password (`--auth` / GANDOJO_AUTH, api/auth.py): every /api and /ws request (except
  /api/health and the login page) needs HTTP Basic credentials with that password (any user name;
  scripts: `curl -u :PASSWORD`) or the login cookie. Missing or wrong: 401 (a websocket handshake:
  HTTP 401, or close code 4401); too many wrong passwords from one address: 429 + Retry-After.
- Origin: a browser's Origin (websocket handshakes, and every POST / PUT / PATCH / DELETE) must be
  a served origin or one of `allowed_origins` ("*": any); otherwise 403 before anything runs.
  Served origins are those whose host is this machine by name (`--host`, its host name, FQDN and
  `<name>.local`), `localhost` or an IP address, and equals the request's Host header: a Host
  header alone, e.g. a DNS-rebinding name, is not trusted. Clients without an Origin (scripts)
  are let through; cross-site pages cannot post (not even an empty body) to an open server.
- Bodies: each route has a limit (checkpoint upload: `max_upload_bytes`; CSV: its 1 MB; every
  other path, existing or not: `max_body_bytes`). A declared Content-Length over it gets 413 at
  once; a body that grows past it while streaming gets 413 then. Nothing is buffered here: the
  route reads (and bounds) its own body, a path that does not exist answers 404 unread.
  At most `max_uploads` uploads are received at once (more: 429 with Retry-After).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from urllib.parse import quote, urlsplit

from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .auth import Auth, client_address
from .uploads import MAX_CSV_BYTES, MAX_UPLOAD

OPEN_PATHS = {"/api/health", "/login", "/logout"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_RETRY_S = 5
CHECKPOINT_UPLOAD = re.compile(r"/api/sessions/load")
CSV_UPLOAD = re.compile(r"/api/sessions/[^/]+/points\.csv")


def served_names(settings: Settings) -> set[str]:
    """Host names that mean this server (besides localhost and IP addresses)."""
    names = {"localhost"}
    if settings.host not in ("", "0.0.0.0", "::"):
        names.add(settings.host.lower())
    try:
        host = socket.gethostname().lower()
        names |= {host, f"{host}.local", socket.getfqdn().lower()}
    except OSError:
        pass
    return names


class Guard:
    """Pure ASGI middleware: it sees websocket handshakes too, and holds no request body."""

    def __init__(self, app: ASGIApp, settings: Settings, auth: Auth | None = None) -> None:
        self.app, self.auth = app, auth
        self.origins = {o.strip().rstrip("/").lower() for o in settings.allowed_origins.split(",")
                        if o.strip()}
        self.names = served_names(settings)
        self.max_body, self.max_upload = settings.max_body_bytes, settings.max_upload_bytes
        self.max_uploads, self.uploads = settings.max_uploads, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if self.auth is not None and self._protected(scope["path"]):
            ok, wait = self.auth.check(headers, client_address(scope))
            if wait:
                return await _deny(scope, receive, send, 429, "too many wrong passwords from this "
                                   f"address: try again in {wait} s", {"Retry-After": str(wait)})
            if not ok:
                return await self._login_needed(scope, receive, send, headers)
        origin = headers.get("origin")
        if (origin is not None and (scope["type"] == "websocket" or scope["method"] in STATE_CHANGING)
                and not self.origin_allowed(origin, headers.get("host", ""))):
            return await _deny(scope, receive, send, 403, f"Origin {origin!r} is not allowed (the "
                               "served origin and --allowed-origin are)")
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        await self._http_with_limit(scope, receive, send, headers)

    async def _login_needed(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        """A browser asking for a page goes to the login form (and back afterwards); others get 401."""
        if scope["type"] == "http" and "text/html" in headers.get("accept", ""):
            qs = scope.get("query_string", b"").decode("latin-1")
            target = quote(scope["path"] + (f"?{qs}" if qs else ""), safe="")
            return await RedirectResponse(f"/login?next={target}", 303)(scope, receive, send)
        await _deny(scope, receive, send, 401, "this server needs a password: log in at /login, "
                    "or send HTTP Basic credentials", {"WWW-Authenticate": 'Basic realm="GAN Dojo"'})

    def _protected(self, path: str) -> bool:
        if path in OPEN_PATHS:
            return False
        return (path.startswith(("/api/", "/ws/", "/docs", "/redoc", "/openapi"))
                or path == "/" or path.endswith(".html"))

    def origin_allowed(self, origin: str, host: str) -> bool:
        origin = origin.rstrip("/").lower()
        if "*" in self.origins or origin in self.origins:
            return True
        netloc = urlsplit(origin).netloc
        if not host or netloc != host.lower():
            return False
        name = (urlsplit(origin).hostname or "").lower()
        return name in self.names or _is_ip(name)

    def limit_of(self, path: str) -> tuple[int, str, bool]:
        """(byte limit, the setting that sets it, whether it is an upload) of a request to `path`."""
        if CHECKPOINT_UPLOAD.fullmatch(path):
            return min(self.max_upload, MAX_UPLOAD), "max_upload_bytes", True
        if CSV_UPLOAD.fullmatch(path):
            return min(self.max_upload, MAX_CSV_BYTES), "the CSV limit", True
        return self.max_body, "max_body_bytes", False

    async def _http_with_limit(self, scope: Scope, receive: Receive, send: Send,
                               headers: Headers) -> None:
        """Refuse a declared oversize body at once; count the rest as the route reads it."""
        limit, name, upload = self.limit_of(scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await _deny(scope, receive, send, 413, f"request body of {int(declared):,} bytes "
                               f"is over the server's limit of {limit:,} bytes ({name})")
        if upload and self.uploads >= self.max_uploads:
            return await _deny(scope, receive, send, 429, f"{self.max_uploads} uploads are being "
                               "received already (max_uploads): try again shortly",
                               {"Retry-After": str(UPLOAD_RETRY_S)})
        self.uploads += upload
        try:
            await _Limited(self.app, limit, name)(scope, receive, send)
        finally:
            self.uploads -= upload


class _Limited:
    """One request whose body may not pass `limit` bytes: past it, 413 is sent here, the app
    reads a disconnect, and whatever the app still sends is dropped."""

    def __init__(self, app: ASGIApp, limit: int, name: str) -> None:
        self.app, self.limit, self.name = app, limit, name
        self.received, self.refused, self.started = 0, False, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def limited_receive() -> Message:
            if self.refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                self.received += len(msg.get("body", b""))
                if self.received > self.limit and not self.started:
                    self.refused = True
                    await _deny(scope, receive, send, 413, "request body is over the server's "
                                f"limit of {self.limit:,} bytes ({self.name})")
                    return {"type": "http.disconnect"}
            return msg

        async def guarded_send(msg: Message) -> None:
            if not self.refused:
                self.started = True
                await send(msg)
        try:
            await self.app(scope, limited_receive, guarded_send)
        except ClientDisconnect:
            pass  # the client left mid-body (or was refused above): nobody to answer
        except Exception:
            if not self.refused:  # the app's own failure: not ours to hide
                raise


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
        return True
    except ValueError:
        return False


async def _deny(scope: Scope, receive: Receive, send: Send, status: int, detail: str,
                headers: dict[str, str] | None = None) -> None:
    """An HTTP error, or for a websocket handshake an HTTP denial (or a close code 4000 + status)."""
    if scope["type"] == "http":
        resp = Response(json.dumps({"detail": detail}), status, headers, "application/json")
        return await resp(scope, receive, send)
    if "websocket.http.response" in scope.get("extensions", {}):
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "websocket.http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]})
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "websocket.close", "code": 4000 + status, "reason": detail[:120]})
