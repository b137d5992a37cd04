"""The ASGI application: ``create_app(settings)`` wires routers, sessions and error pages."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from dailypapers import __version__
from dailypapers.community.auth import current_user
from dailypapers.config import Settings, get_settings
from dailypapers.store import db

log = logging.getLogger(__name__)

# Each module exposes ``router``; pages and API areas register here, one line each.
ROUTERS = [
    "dailypapers.api.health",
    "dailypapers.api.daily_papers",
    "dailypapers.api.search",
    "dailypapers.api.papers",
    "dailypapers.web.api.mcp",
    "dailypapers.web.routes.feed",
    "dailypapers.web.routes.papers",
    "dailypapers.web.routes.search",
    "dailypapers.api.community",
    "dailypapers.web.routes.accounts",
    "dailypapers.api.subscriptions",
    "dailypapers.web.routes.subscribe",
    "dailypapers.web.routes.atom",
    "dailypapers.web.routes.admin",
    "dailypapers.web.routes.community",  # keep last: ``/{org}/papers`` matches any first segment
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (upgrading a fresh database first)."""
    settings = settings or get_settings()
    db.ensure_schema(settings)
    app = FastAPI(
        title="dailypapers",
        version=__version__,
        description="Self-hosted daily papers: feed, search, similar papers and digests. "
        "The `/api/daily_papers` and `/api/papers/*` endpoints speak the Hugging Face papers API.",
        dependencies=[Depends(current_user)],  # sets request.state.user for every route
    )
    app.state.settings = settings
    app.state.sessionmaker = db.session_factory(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="dp_session",
        same_site="lax",
        https_only=settings.env == "production",
        max_age=30 * 24 * 3600,
    )
    static_dir = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    for module in ROUTERS:
        app.include_router(importlib.import_module(module).router)
    _install_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _install_error_handlers(app: FastAPI) -> None:
    from dailypapers.web.templating import render

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if _wants_json(request):
            return JSONResponse({"error": exc.detail}, exc.status_code, headers=headers)
        response = render(
            request, "error.html", status_code=exc.status_code, message=exc.detail,
            status=exc.status_code,
        )  # fmt: skip
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors()
        )
        if _wants_json(request):
            return JSONResponse({"error": f"Invalid request: {problems}"}, 422)
        return render(request, "error.html", status_code=422, message=problems, status=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        message = "Something went wrong on our side; it has been logged."
        if _wants_json(request):
            return JSONResponse({"error": message}, 500)
        return render(request, "error.html", status_code=500, message=message, status=500)
