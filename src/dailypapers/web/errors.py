"""Error responses, in one place for pages and the API.

Domain errors (``dailypapers.errors.DomainError`` and its subclasses) carry their HTTP status;
HTTP and validation errors come from FastAPI. Each becomes ``{"error": message}`` for API
callers and the error page for browsers. Anything else is logged and answered with a 500 that
reveals nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dailypapers.errors import DomainError, RateLimited
from dailypapers.web.headers import headers_for
from dailypapers.web.templating import render

log = logging.getLogger(__name__)
_UNEXPECTED = "Something went wrong on our side; it has been logged."


def wants_json(request: Request) -> bool:
    """Whether the caller should get JSON rather than an HTML error page."""
    path = request.url.path
    return path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """``{"error": message}`` for scripts, the error page for browsers."""
    response: Response
    if wants_json(request):
        response = JSONResponse({"error": message}, status, headers=headers)
    else:
        response = render(request, "error.html", status_code=status, message=message,
                          status=status)  # fmt: skip
        if headers:
            response.headers.update(headers)
    return response


def _validation_message(exc: RequestValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in exc.errors()
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return error_response(request, exc.status, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = _validation_message(exc)
        message = f"Invalid request: {problems}" if wants_json(request) else problems
        return error_response(request, 422, message)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        response = error_response(request, 500, _UNEXPECTED)
        # Starlette answers this one outside every middleware: add the security headers here.
        hsts = request.app.state.settings.env == "production"
        for name, value in headers_for(request.url.path, hsts=hsts):
            response.headers.setdefault(name, value)
        return response
