"""Every FastAPI dependency of pages and the API: the request's one database session, settings
and the current user.

One session per request: ``get_db`` and template helpers share ``request.state.db``, created
on first use and closed by ``RequestSessionMiddleware`` when the response is sent. Nothing
that runs during a request opens a second session, so a request never holds one pooled
connection while it waits for another (the pool-exhaustion deadlock of issue 14).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from dailypapers.community.auth import (
    CurrentUser,
    touch_token,
    user_for_session,
    user_for_token,
)
from dailypapers.config import Settings
from dailypapers.store.db import writing
from dailypapers.web.security import require_csrf

T = TypeVar("T")
_AUTH_REQUIRED = (
    "Authentication required: send `Authorization: Bearer TOKEN` "
    "(create a token on /settings or with `dailypapers users token NAME`)."
)


# --- session and settings --------------------------------------------------------------------
def request_session(request: Request) -> Session:
    """The request's database session (created on first use, closed after the response)."""
    session: Session | None = getattr(request.state, "db", None)
    if session is None:
        session = request.app.state.sessionmaker()
        request.state.db = session
    return session


def release_connection(request: Request) -> None:
    """End the request session's transaction, handing its connection back to the pool.

    Call it at the end of every unit of work run in the thread pool: a request that kept its
    connection while it waits for a free thread could wait for threads that wait for that very
    connection. Writes go through ``db.writing``, which has committed already.
    """
    session: Session | None = getattr(request.state, "db", None)
    if session is not None and session.in_transaction():
        session.commit()


def released(request: Request, work: Callable[[], T]) -> Callable[[], T]:
    """``work`` followed, in the same thread, by ``release_connection(request)``."""

    def run() -> T:
        try:
            return work()
        finally:
            release_connection(request)

    return run


async def get_db(request: Request) -> Session:
    """Dependency: the request's session. Routes that write commit it themselves.

    ``async`` so that FastAPI calls it on the event loop: it only makes a session object (no
    I/O), where a plain function would cost each request a hop through the thread pool."""
    return request_session(request)


async def get_settings_dep(request: Request) -> Settings:
    """Dependency: the app's settings (``async``: no thread-pool hop, as ``get_db``)."""
    settings: Settings = request.app.state.settings
    return settings


class RequestSessionMiddleware:
    """Close the request's session, if one was opened, once the response is sent.

    The close runs on the event loop, not in the thread pool: handing a connection back is
    quick, while a close that waited for a free thread could wait for threads that wait for
    that very connection (every pool thread blocked on the pool, every connection held by a
    finished request).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            session = scope.get("state", {}).pop("db", None)
            if session is not None:
                session.close()


# --- the current user ------------------------------------------------------------------------
def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _load_user(
    request: Request, token: str | None, data: MutableMapping[str, Any]
) -> CurrentUser | None:
    session, settings = request_session(request), request.app.state.settings
    try:
        if token is None:
            return user_for_session(session, data, settings)
        owner = user_for_token(session, token)
    finally:
        session.rollback()  # end the read: the connection goes back to the pool
    if owner is None:
        return None
    if owner.needs_touch:  # a short write transaction of its own, after the read
        with writing(session, settings):
            touch_token(session, owner.token_id)
    return owner.user


async def current_user(request: Request) -> CurrentUser | None:
    """The user or None; also sets ``request.state.user``. Cheap for anonymous requests."""
    state = request.state
    if hasattr(state, "user"):
        cached: CurrentUser | None = state.user
        return cached
    token = bearer_token(request)
    data = request.session if "session" in request.scope else {}
    user = None
    if token is not None or "uid" in data:
        user = await run_in_threadpool(_load_user, request, token, dict(data))
        if user is None and token is None:
            data.clear()  # stale or expired session: drop the cookie
        if user is None and token is not None:
            state.auth_error = "Invalid or revoked API token."
    state.user = user
    return user


def is_api_request(request: Request) -> bool:
    """Whether the caller is a script (``/api`` path or a Bearer token), not a browser page."""
    return request.url.path.startswith("/api/") or bearer_token(request) is not None


async def require_user(
    request: Request, user: CurrentUser | None = Depends(current_user)
) -> CurrentUser:
    """The logged-in user; 401 (JSON) under ``/api``, else a redirect to the log-in page."""
    if user is not None:
        return user
    if is_api_request(request):
        message = getattr(request.state, "auth_error", None) or _AUTH_REQUIRED
        raise HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})
    why = _why_log_in(request)
    raise HTTPException(
        303,
        "Please log in first.",
        headers={"Location": f"/login?next={quote(_come_back(request))}" + why},
    )


# Buttons an anonymous visitor sees on lists and paper pages post here; the log-in form then
# says what the account is for (``account/login.html``).
_WHY_BY_FORM = (("/library/", "library"), ("/following", "follow"))


def _why_log_in(request: Request) -> str:
    if request.method == "GET":
        return ""
    path = request.url.path
    found = next((why for prefix, why in _WHY_BY_FORM if path.startswith(prefix)), "")
    return f"&why={found}" if found else ""


def come_back(request: Request) -> str:
    """Where to return after log-in (see ``_come_back``)."""
    return _come_back(request)


def _come_back(request: Request) -> str:
    """Where to return after log-in: this page, or for a form post the page that had the form
    (a GET of the post's URL would be a 405)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


async def require_writer(
    request: Request, user: CurrentUser = Depends(require_user)
) -> CurrentUser:
    """The user of an API write: 401 without credentials first, then the CSRF check (a Bearer
    token passes it; the site's own scripts send the ``X-CSRF-Token`` header)."""
    await require_csrf(request)
    return user


async def require_admin(user: CurrentUser = Depends(require_user)) -> CurrentUser:
    """The logged-in user if an administrator, else 403."""
    if not user.is_admin:
        raise HTTPException(403, "Only administrators may do this.")
    return user


def safe_next(target: str | None) -> str:
    """A same-site path to go to after log-in (never an absolute or protocol-relative URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


# Row ids are 32-bit integers on PostgreSQL (``INTEGER``); SQLite's reach 2**63 - 1. A path id
# outside 1..2**31 - 1 names no row on either database, so it is a 422 before any query runs.
MAX_DB_ID = 2**31 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="A row id (1 to 2147483647).")]
