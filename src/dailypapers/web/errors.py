"""Error responses, in one place for pages and the API.

Domain errors (``dailypapers.errors.DomainError`` and its subclasses) carry their HTTP status;
HTTP and validation errors come from FastAPI. Each becomes ``{"error": message}`` for API
callers and the error page for browsers. Anything else is logged and answered with a 500 that
reveals nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import unquote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dailypapers.errors import DomainError, RateLimited
from dailypapers.store.records import parse_arxiv_id
from dailypapers.web.headers import headers_for
from dailypapers.web.metrics import request_id
from dailypapers.web.templating import render

log = logging.getLogger(__name__)
_FILE_SUFFIXES = (".bib", ".ris", ".json", ".xml", ".md")
_UNEXPECTED = "Something went wrong on our side; it has been logged."


def json_errors(path: str, accept: str) -> bool:
    """Whether a request to ``path`` with this Accept header gets its errors as JSON: the API,
    feeds and exports (read by scripts and feed readers), and callers asking for JSON."""
    return path.startswith("/api/") or path.endswith(_FILE_SUFFIXES) or "application/json" in accept


def wants_json(request: Request) -> bool:
    """Whether the caller should get JSON rather than an HTML error page."""
    return json_errors(request.url.path, request.headers.get("accept", ""))


def error_response(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """``{"error": message}`` for scripts, the error page for browsers."""
    response: Response
    if wants_json(request):
        response = JSONResponse({"error": message}, status, headers=headers)
    else:
        response = render(request, "error.html", status_code=status, message=message,
                          status=status, ways=ways_back(request, status),
                          request_id=_request_id(request))  # fmt: skip
        if headers:
            response.headers.update(headers)
    return response


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or request_id.get()


def ways_back(request: Request, status: int) -> list[tuple[str, str]]:
    """Links that help after an error: the paper on arXiv or in search, today's papers."""
    ways: list[tuple[str, str]] = []
    path = request.url.path
    if status == 404 and path.startswith("/papers/"):
        wanted = unquote(path.removeprefix("/papers/").removesuffix(".md")).strip("/")
        parsed = parse_arxiv_id(wanted) if wanted else None
        if parsed:
            ways.append((f"{parsed[0]} on arXiv", f"https://arxiv.org/abs/{parsed[0]}"))
            ways.append(("Add it to the feed", "/submit"))
        if wanted:
            ways.append((f"Search for {wanted[:40]}", f"/search?{urlencode({'q': wanted})}"))
    elif status == 404:
        ways.append(("Search the papers", "/search"))
    ways.append(("Back to today's papers", "/"))
    return ways


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
        response = error_response(request, 500, _UNEXPECTED, {"X-Request-ID": _request_id(request)})
        # Starlette answers this one outside every middleware: add the security headers here.
        hsts = request.app.state.settings.env == "production"
        for name, value in headers_for(request.url.path, hsts=hsts):
            response.headers.setdefault(name, value)
        return response
