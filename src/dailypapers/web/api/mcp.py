"""``/mcp``: the MCP server (``dailypapers.agents``) over stateless Streamable HTTP.

Registered like any router; the endpoint is a plain ASGI app, so FastAPI's per-route
machinery (and its app-wide dependencies) stays out of the MCP exchange. Personal writes are
rate limited as the API's writes are.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.routing import Route

from dailypapers.agents import http_app
from dailypapers.config import Settings
from dailypapers.web.ratelimit import hit

router = APIRouter()


class _LazyMcp:
    """Built on the first request from the app's settings and kept on ``app.state``."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        state = scope["app"].state
        app = getattr(state, "mcp_app", None)
        if app is None:
            settings: Settings = state.settings
            app = state.mcp_app = http_app(settings, _limiter(settings))
        await app(scope, receive, send)


def _limiter(settings: Settings) -> Any:
    return lambda key, per_minute: hit(settings, key, per_minute)


router.routes.append(
    Route("/mcp", _LazyMcp(), methods=["GET", "POST", "DELETE"], include_in_schema=False)
)
