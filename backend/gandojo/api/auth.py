"""The server password (`--auth`): credentials, a signed expiring login cookie, brute-force
throttling per client address, and the /login and /logout routes.

- Credentials: HTTP Basic with the password (any user name), or the `gandojo_auth` cookie that
  `POST /login` sets. The cookie is `<expiry>.<HMAC-SHA256(secret, expiry)>` with a secret drawn
  (secrets.token_bytes) when the server starts: it ends after `auth_cookie_hours` or with a
  restart, holds nothing derived from the password, and `POST /logout` ends it (refused from
  then on, and cleared in the browser).
- Throttling: after FREE_FAILURES wrong passwords from one address, that address must wait
  before its next try — 1 s, then 2, 4, ... up to MAX_DELAY_S — and gets 429 with `Retry-After`
  meanwhile; a right password clears its count.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections import OrderedDict
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import Headers

AUTH_COOKIE = "gandojo_auth"
FREE_FAILURES = 5
MAX_DELAY_S = 300
MAX_TRACKED = 10_000  # addresses remembered by the throttle (the oldest are forgotten)
router = APIRouter(include_in_schema=False)


class Throttle:
    """Failed logins per client address, and how long each must wait before its next try."""

    def __init__(self) -> None:
        self._fails: OrderedDict[str, tuple[int, float]] = OrderedDict()  # addr → (count, last)
        self._lock = threading.Lock()

    def retry_after(self, addr: str, now: float | None = None) -> int:
        """Seconds `addr` must still wait (0: it may try)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._fails.get(addr, (0, 0.0))
        if count < FREE_FAILURES:
            return 0
        wait = min(2.0 ** (count - FREE_FAILURES), MAX_DELAY_S) - (now - last)
        return max(0, int(wait + 0.999))

    def failed(self, addr: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, _ = self._fails.pop(addr, (0, 0.0))
            self._fails[addr] = (count + 1, now)
            while len(self._fails) > MAX_TRACKED:
                self._fails.popitem(last=False)

    def succeeded(self, addr: str) -> None:
        with self._lock:
            self._fails.pop(addr, None)


class Auth:
    """The password, this run's cookie secret and the throttle."""

    def __init__(self, password: str, cookie_hours: float = 12.0) -> None:
        self.password = password
        self.max_age = max(60, int(cookie_hours * 3600))
        self.secret = secrets.token_bytes(32)  # per start: a restart ends every login
        self.throttle = Throttle()
        self._revoked: OrderedDict[str, None] = OrderedDict()  # logged-out cookies, until expiry

    def revoke(self, value: str | None) -> None:
        if value and self.cookie_valid(value):
            self._revoked[value] = None
            while len(self._revoked) > MAX_TRACKED:
                self._revoked.popitem(last=False)

    def _sign(self, expiry: str) -> str:
        return hmac.new(self.secret, expiry.encode(), hashlib.sha256).hexdigest()

    def make_cookie(self, now: float | None = None) -> str:
        expiry = str(int((time.time() if now is None else now) + self.max_age))
        return f"{expiry}.{self._sign(expiry)}"

    def cookie_valid(self, value: str | None, now: float | None = None) -> bool:
        expiry, _, sig = (value or "").partition(".")
        if not expiry.isdigit() or not hmac.compare_digest(sig.encode(), self._sign(expiry).encode()):
            return False
        if value in self._revoked:
            return False
        return int(expiry) > (time.time() if now is None else now)

    def password_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.password.encode())

    def check(self, headers: Headers, addr: str) -> tuple[bool, int]:
        """(authorized, seconds to wait): a valid cookie, else Basic credentials (a wrong one
        counts as a failed login of `addr`; a throttled address is not even checked)."""
        if self.cookie_valid(_cookie(headers.get("cookie", ""), AUTH_COOKIE)):
            return True, 0
        given = _basic_password(headers.get("authorization"))
        if given is None:
            return False, 0
        if (wait := self.throttle.retry_after(addr)) > 0:
            return False, wait
        if self.password_matches(given):
            self.throttle.succeeded(addr)
            return True, 0
        self.throttle.failed(addr)
        return False, self.throttle.retry_after(addr)


def client_address(scope_or_request) -> str:
    client = scope_or_request.get("client") if isinstance(scope_or_request, dict) \
        else scope_or_request.client
    return client[0] if client else "unknown"


def _basic_password(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


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


async def _fields(request: Request) -> dict[str, str]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            return {k: str(v) for k, v in dict(json.loads(raw or b"{}")).items()}
        except (ValueError, TypeError):
            return {}
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


@router.post("/login")
async def login(request: Request) -> Response:
    """Form or JSON `password` (+ `next`): the right one sets the cookie and redirects (303);
    a wrong one 401; too many wrong ones from this address 429 with Retry-After."""
    fields, auth = await _fields(request), getattr(request.app.state, "auth", None)
    target, addr = _safe_next(fields.get("next", "/")), client_address(request)
    if auth is None:
        return HTMLResponse(LOGIN_FORM.format(next=html.escape(target),
                                              error="This server has no password."), 404)
    if (wait := auth.throttle.retry_after(addr)) > 0:
        return JSONResponse({"detail": f"too many wrong passwords from {addr}: try again in "
                             f"{wait} s"}, 429, {"Retry-After": str(wait)})
    if not auth.password_matches(fields.get("password", "")):
        auth.throttle.failed(addr)
        return HTMLResponse(LOGIN_FORM.format(next=html.escape(target), error="Wrong password."), 401)
    auth.throttle.succeeded(addr)
    resp = RedirectResponse(target, 303)
    resp.set_cookie(AUTH_COOKIE, auth.make_cookie(), max_age=auth.max_age, httponly=True,
                    samesite="strict")
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    """End this login: its cookie is refused from now on and cleared (303 to the login form)."""
    auth = getattr(request.app.state, "auth", None)
    if auth is not None:
        auth.revoke(request.cookies.get(AUTH_COOKIE))
    resp = RedirectResponse("/login", 303)
    resp.delete_cookie(AUTH_COOKIE, httponly=True, samesite="strict")
    return resp
