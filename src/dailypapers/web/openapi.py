"""The OpenAPI document and the API docs pages, served without any CDN.

``/docs`` (Swagger UI) and ``/redoc`` load their scripts from the ``fastapi-offline``
package's copies, mounted at ``/docs-assets``, so they render on a machine without
internet. ``DAILYPAPERS_API_DOCS=false`` hides both pages and ``/openapi.json``.

The document is completed in one place rather than on every route: the Bearer security
scheme, marked on each operation that requires a user (found by walking the route's
dependencies for ``require_user``/``require_admin``), the 401/403/429 answers those and the
rate-limited routes can give, and the ``{"error": …}`` body of 422s (our handler's shape,
not FastAPI's default validation model), also where a route answers in another format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles

from dailypapers.web.api.schemas import ERROR_MEANINGS
from dailypapers.web.deps import require_admin, require_user

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSET_URL = "/docs-assets"
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token: create one on your account page or with "
    "`dailypapers users token NAME`, then send `Authorization: Bearer TOKEN`.",
}
_ERROR_REF = {"$ref": "#/components/schemas/ApiError"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every JSON/HTTP operation route of ``app``, with the dependencies of its routers
    (``fastapi.routing.RouteContext`` objects, which read like ``APIRoute``)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _needs(route: Any) -> tuple[bool, bool, bool]:
    """(requires a user, requires an administrator, is rate limited) for one route."""
    calls = list(_calls(route.dependant))
    names = {getattr(call, "__name__", "") for call in calls}
    return (
        require_user in calls,
        require_admin in calls,
        any(name.startswith("rate_limit_") for name in names),
    )


def _error(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_MEANINGS[status],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }


def _complete(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = BEARER
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        user, admin, limited = _needs(route)
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if not operation.get("description"):  # no docstring: the summary says what it does
                operation["description"] = operation.get("summary") or route.name
            path = route.path_format  # an id that names nothing is a 404 (a bad token a 400)
            if "{" in path and path.startswith("/api/") and path != "/api/subscriptions/{token}":
                responses.setdefault("404", _error(404))
            if user:
                operation["security"] = [{"bearer": []}]
                responses.setdefault("401", _error(401))
            if admin:
                responses.setdefault("403", _error(403))
            if limited:
                responses.setdefault("429", _error(429))
            for status, response in responses.items():  # errors are always JSON ApiError
                if status[0] == "4" and int(status) in ERROR_MEANINGS:
                    description = response.get("description") or ERROR_MEANINGS[int(status)]
                    responses[status] = {**_error(int(status)), "description": description}
    schemas = components.get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and unused not in str(schema["paths"]):
            del schemas[unused]
    return schema


def install_openapi(app: FastAPI, *, serve_docs: bool) -> None:
    """Complete ``app``'s OpenAPI document; serve ``/docs`` and ``/redoc`` when asked to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, tags=app.openapi_tags,
            )  # fmt: skip
            app.openapi_schema = _complete(app, schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
    if not serve_docs:
        return
    app.mount(ASSET_URL, StaticFiles(directory=ASSETS), name="apidocs")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{ASSET_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSET_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSET_URL}/favicon.png",
        )  # fmt: skip

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json", title=f"{app.title} API",
            redoc_js_url=f"{ASSET_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSET_URL}/favicon.png", with_google_fonts=False,
        )  # fmt: skip
