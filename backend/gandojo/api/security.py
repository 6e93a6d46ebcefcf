"""Server guards as one ASGI middleware: optional password, websocket Origin, body size; the login page.

- Password (`--auth` / GANDOJO_AUTH): every /api and /ws request (except /api/health and the
  login page) needs either HTTP Basic credentials with that password (any user name; scripts:
  `curl -u :PASSWORD`) or the `gandojo_auth` cookie that `POST /login` sets (browsers: the page
  redirects to the /login form; scripts: post `password=...` once and keep the cookie). Session
  calls keep `Authorization: Bearer <session token>`, so send the cookie with those. Missing or
  wrong credentials: 401 (a websocket handshake: HTTP 401, or close code 4401).
- Websocket Origin: a browser's Origin must be the served origin (its host equals the Host header)
  or one of `allowed_origins` ("*": any); otherwise HTTP 403 before the handshake (or close 4403).
  Clients that send no Origin (scripts) are let through.
- Body size: JSON/text bodies over `max_body_bytes`, binary/CSV/multipart uploads over
  `max_upload_bytes` get 413 with a message naming the limit (routes may cap uploads lower).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings

AUTH_COOKIE = "gandojo_auth"
OPEN_PATHS = {"/api/health", "/login"}
UPLOAD_TYPES = ("application/octet-stream", "text/csv", "multipart/form-data")
router = APIRouter(include_in_schema=False)


def cookie_value(password: str) -> str:
    """The auth cookie: derived from the password (the password itself never sits in a cookie)."""
    return hmac.new(password.encode(), b"gandojo-auth-cookie-v1", hashlib.sha256).hexdigest()


def _basic_password(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return None


class Guard:
    """Pure ASGI middleware: it sees websocket handshakes too; it holds a request body (up to its
    limit) before the app runs, and never touches responses."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.password = settings.auth
        self.cookie = cookie_value(settings.auth) if settings.auth else ""
        self.origins = {o.strip().rstrip("/").lower() for o in settings.allowed_origins.split(",")
                        if o.strip()}
        self.max_body, self.max_upload = settings.max_body_bytes, settings.max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        if self.password and self._protected(scope["path"]) and not self.authorized(headers):
            return await self._login_needed(scope, receive, send, headers)
        if scope["type"] == "websocket":
            origin = headers.get("origin")
            if origin is not None and not self.origin_allowed(origin, headers.get("host", "")):
                return await _deny(scope, receive, send, 403, f"websocket Origin {origin!r} is not "
                                   "allowed (the served origin and --allowed-origin are)")
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

    def authorized(self, headers: Headers) -> bool:
        cookie = _cookie(headers.get("cookie", ""), AUTH_COOKIE)
        if cookie is not None and hmac.compare_digest(cookie.encode(), self.cookie.encode()):
            return True
        given = _basic_password(headers.get("authorization"))
        return given is not None and hmac.compare_digest(given.encode(), self.password.encode())

    def origin_allowed(self, origin: str, host: str) -> bool:
        origin = origin.rstrip("/").lower()
        return ("*" in self.origins or origin in self.origins
                or (bool(host) and urlsplit(origin).netloc == host.lower()))

    async def _http_with_limit(self, scope: Scope, receive: Receive, send: Send,
                               headers: Headers) -> None:
        """Read the body up to the limit (413 past it), then hand it on to the app in one piece."""
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        limit, name = ((self.max_upload, "max_upload_bytes") if kind in UPLOAD_TYPES
                       else (self.max_body, "max_body_bytes"))
        declared = headers.get("content-length", "")
        too_big = (f"request body of {int(declared):,} bytes is over the server's limit of "
                   f"{limit:,} bytes ({name})") if declared.isdigit() and int(declared) > limit else ""
        body, more = bytearray(), not too_big and scope["method"] not in ("GET", "HEAD")
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                return  # the client went away
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
            if len(body) > limit:
                too_big = f"request body is over the server's limit of {limit:,} bytes ({name})"
                break
        if too_big:
            return await _deny(scope, receive, send, 413, too_big)
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


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


LOGIN_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GAN Dojo — log in</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/css/style.css"><style>
.login-form {{ max-width: 320px; margin: 12vh auto; display: flex; flex-direction: column; gap: 12px; }}
.login-form h1 {{ font-weight: 300; color: var(--bar); }} .login-form input {{ width: 100%; height: 30px; }}
</style></head>
<body><form method="post" action="/login" class="login-form">
<h1>GAN <b>Dojo</b></h1><p>This server needs a password.</p>
<input type="hidden" name="next" value="{next}">
<label>Password <input type="password" name="password" data-testid="login-password" autofocus></label>
<button type="submit" data-testid="login-submit">Log in</button><p role="alert">{error}</p>
</form></body></html>"""


def _safe_next(target: str) -> str:
    """Only same-site paths (no //host or scheme): no open redirect."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(next: str = "/") -> HTMLResponse:
    return HTMLResponse(LOGIN_FORM.format(next=html.escape(_safe_next(next)), error=""))


@router.post("/login")
async def login(request: Request) -> Response:
    """Form or JSON `password` (+ `next`): the right one sets the cookie and redirects (303)."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            fields = {k: str(v) for k, v in dict(json.loads(raw or b"{}")).items()}
        except (ValueError, TypeError):
            fields = {}
    else:
        fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    password, target = request.app.state.settings.auth, _safe_next(fields.get("next", "/"))
    given = fields.get("password", "")
    if not password or not hmac.compare_digest(given.encode(), password.encode()):
        page = LOGIN_FORM.format(next=html.escape(target), error="Wrong password." if password
                                 else "This server has no password.")
        return HTMLResponse(page, 401 if password else 404)
    resp = RedirectResponse(target, 303)
    resp.set_cookie(AUTH_COOKIE, cookie_value(password), httponly=True, samesite="strict")
    return resp
