"""The ASGI application: ``create_app(settings)`` wires routers, sessions and error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from dailypapers import __version__
from dailypapers.config import Settings, get_settings
from dailypapers.foryou import personal
from dailypapers.search import start_warm_up
from dailypapers.store import db
from dailypapers.web import metrics
from dailypapers.web.api import account as api_account
from dailypapers.web.api import admin as api_admin
from dailypapers.web.api import channels as api_channels
from dailypapers.web.api import citations as api_citations
from dailypapers.web.api import community as api_community
from dailypapers.web.api import daily_papers as api_daily_papers
from dailypapers.web.api import follows as api_follows
from dailypapers.web.api import foryou as api_foryou
from dailypapers.web.api import health as api_health
from dailypapers.web.api import library as api_library
from dailypapers.web.api import mcp as api_mcp
from dailypapers.web.api import papers as api_papers
from dailypapers.web.api import search as api_search
from dailypapers.web.api import subscriptions as api_subscriptions
from dailypapers.web.deps import RequestSessionMiddleware, current_user
from dailypapers.web.errors import install_error_handlers
from dailypapers.web.head import HeadAsGetMiddleware
from dailypapers.web.headers import SecurityHeadersMiddleware
from dailypapers.web.limits import InputLimitsMiddleware
from dailypapers.web.logs import configure_logging
from dailypapers.web.metrics import RequestMetricsMiddleware, serve_metrics_port
from dailypapers.web.openapi import install_openapi
from dailypapers.web.pages import (
    accounts,
    admin,
    atom,
    community,
    feed,
    following,
    papers,
    search,
    subscribe,
    your_data,
)
from dailypapers.web.pages import channels as channel_pages
from dailypapers.web.pages import foryou as foryou_pages
from dailypapers.web.pages import library as library_pages

# Pages and API areas, one line each; order matters only for overlapping paths.
ROUTERS: list[APIRouter] = [
    api_health.router,
    metrics.router,
    api_daily_papers.router,
    api_search.router,
    api_papers.router,
    api_mcp.router,
    api_channels.router,
    channel_pages.router,
    feed.router,
    foryou_pages.router,
    papers.router,
    search.router,
    api_community.router,
    api_foryou.router,
    accounts.router,
    api_subscriptions.router,
    subscribe.router,
    atom.router,
    admin.router,
    api_admin.router,
    api_library.router,
    api_follows.router,
    api_account.router,
    api_citations.router,
    library_pages.router,
    following.router,
    your_data.router,
    community.router,  # keep last: ``/{org}/papers`` matches any first segment
]


def _warm_lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        start_warm_up(settings)  # in the background: /healthz answers meanwhile
        personal.start_warm_up(settings)  # "For you" paper data, also in the background
        yield

    return lifespan


def create_app(settings: Settings | None = None, warm: bool = False) -> FastAPI:
    """Build the app for ``settings`` (upgrading a fresh database first).

    ``warm`` (servers) loads the search index and model in the background at start-up;
    ``/readyz`` answers 200 once that is done.
    """
    settings = settings or get_settings()
    db.ensure_schema(settings)
    app = FastAPI(
        title="dailypapers",
        version=__version__,
        description="Self-hosted daily papers: feed, search, similar papers and digests. "
        "The `/api/daily_papers` and `/api/papers/*` endpoints speak the Hugging Face papers API.",
        dependencies=[Depends(current_user)],  # sets request.state.user for every route
        docs_url=None,  # served by install_openapi from local assets
        redoc_url=None,
        openapi_url="/openapi.json" if settings.api_docs else None,
        lifespan=_warm_lifespan(settings) if warm else None,
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
    app.add_middleware(RequestSessionMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    upload = settings.library_import_max_bytes + 64 * 1024  # the file plus the form around it
    app.add_middleware(
        InputLimitsMiddleware, uploads={"/library/import": upload, "/api/me/library/import": upload}
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env == "production")
    app.add_middleware(RequestMetricsMiddleware, access_log=settings.log_format == "json")
    if settings.forwarded_allow_ips:  # outermost: everything inside sees the real client
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    static_dir = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    install_openapi(app, serve_docs=settings.api_docs)
    configure_logging(settings)
    serve_metrics_port(settings)
    return app
