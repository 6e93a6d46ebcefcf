"""App assembly: settings, session manager, routes, websocket, plotly.js and the static page."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match, Mount
from starlette.types import Scope

from .. import __version__
from ..cluster.start import start_cluster
from ..engine.lessons.classes import ClassRegistry
from ..engine.lessons.progress import LessonBook
from ..engine.limits import Limits
from ..engine.manager import SessionManager
from ..engine.store import SessionStore
from ..settings import Settings
from .schemas import ERROR_RESPONSES
from . import auth, errors, security, websocket
from .routes import api_router

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    device = settings.resolved_device()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.manager.close_all()

    app = FastAPI(title="GAN Dojo", version=__version__, lifespan=lifespan,
                  responses=ERROR_RESPONSES)  # every 4xx is documented, as {"detail": ...}
    app.state.settings = settings
    app.state.device = device
    app.state.manager = _manager(settings, device)
    app.state.store = app.state.manager.store = SessionStore(settings.save_dir, settings.max_saved)
    app.state.manager.max_per_client = settings.max_sessions_per_client  # 0: max(20, max_sessions // 4)
    app.state.manager.data_root = str(settings.data_dir) or None  # None: $GANDOJO_DATA or the cache
    app.state.lesson_book, app.state.classes = LessonBook(), ClassRegistry()  # lessons' progress, classes
    app.include_router(api_router)  # /api: one router per resource (api/routes/)
    errors.install(app)  # 422s valid JSON whatever was sent; engine refusals → 409
    app.include_router(websocket.router)
    app.include_router(auth.router)  # /login, /logout (when --auth is set)
    app.state.auth = auth.Auth(settings.auth, settings.auth_cookie_hours) if settings.auth else None
    app.add_middleware(security.Guard, settings=settings, auth=app.state.auth)  # auth, Origin, bodies

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    if settings.frontend_dir.is_dir():
        app.router.routes.append(FrontendMount(
            "/", app=StaticFiles(directory=settings.frontend_dir, html=True), name="frontend"))
    return app


def _manager(settings: Settings, device: str) -> SessionManager:
    """Sessions in this process, or (--workers / --ray) in Ray worker processes (cluster/)."""
    if settings.workers or settings.ray_address:
        return start_cluster(settings)  # imports Ray only now
    return SessionManager(device, settings.max_sessions, settings.fps, settings.idle_pause_s,
                          settings.idle_timeout_s, limits=Limits.from_settings(settings),
                          batching=settings.batching, compile=settings.compile,
                          compile_mode=settings.compile_mode)


class FrontendMount(Mount):
    """The static page at "/" that never answers for /api or /ws paths: their 404 and 405
    (with the route's own `Allow`) come from the router, not from the file server."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["path"].startswith(("/api/", "/ws/")) or scope["path"] in ("/api", "/ws"):
            return Match.NONE, {}
        return super().matches(scope)
