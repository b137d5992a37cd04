"""Authentication: password hashes, cookie sessions, API tokens and the FastAPI dependencies.

* Passwords are hashed with argon2id (``argon2-cffi`` defaults); hashes are upgraded on log-in
  when the parameters change.
* A browser session is the signed ``dp_session`` cookie (Starlette's ``SessionMiddleware``)
  holding the user id, the user's ``session_version`` and the log-in time. Bumping
  ``users.session_version`` (log-out, password change) ends every session of that user; a
  session older than ``settings.session_days`` is refused even if the cookie is still valid.
* An API token is ``dp_`` + 43 random characters; only its SHA-256 is stored. Scripts send it
  as ``Authorization: Bearer TOKEN``. When a Bearer header is present the cookie is ignored, so
  a request is authenticated by exactly one credential.

Every route sees the user as ``request.state.user`` (a ``CurrentUser`` or ``None``): the app
installs ``current_user`` as an app-wide dependency.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dailypapers.config import Settings
from dailypapers.store.models import ApiToken, User, utcnow

TOKEN_PREFIX = "dp_"  # noqa: S105 - a public prefix, not a secret
_TOKEN_TOUCH_SECONDS = 300  # write ``last_used_at`` at most this often per token
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The authenticated user of a request (detached from any database session)."""

    id: int
    username: str
    email: str
    is_admin: bool

    @classmethod
    def from_row(cls, user: User) -> CurrentUser:
        return cls(user.id, user.username, user.email, bool(user.is_admin))


# --- passwords -----------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown user (``None``) costs the same time."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be replaced at log-in."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# --- API tokens ----------------------------------------------------------------------------------
def token_digest(token: str) -> str:
    """The stored form of a token: SHA-256 hex (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, user_id: int, name: str = "") -> str:
    """Create a token for ``user_id`` and return it; it is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, name=name.strip()[:100], token_hash=token_digest(token)))
    session.flush()
    return token


def revoke_api_token(session: Session, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when there is no such live token."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount == 1


def list_api_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's live tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


def user_for_token(session: Session, token: str) -> CurrentUser | None:
    """The owner of a live token (and note its use, at most every few minutes)."""
    row = session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user, token_id, last_used = row
    now = utcnow()
    if last_used is None or (now - last_used).total_seconds() > _TOKEN_TOUCH_SECONDS:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        session.commit()
    return CurrentUser.from_row(user)


# --- cookie sessions -----------------------------------------------------------------------------
def start_session(request: Request, user: User) -> None:
    """Log ``user`` in: a fresh session (new CSRF token too, against session fixation)."""
    request.session.clear()
    request.session.update({"uid": user.id, "sv": user.session_version, "iat": int(time.time())})


def end_all_sessions(session: Session, user_id: int) -> None:
    """Invalidate every cookie session of the user (log-out everywhere, password change)."""
    session.execute(
        update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
    )


def user_for_session(session: Session, data: dict, settings: Settings) -> CurrentUser | None:
    """The user a session cookie names, if the session is still valid."""
    try:
        uid, version, issued = int(data["uid"]), int(data["sv"]), int(data["iat"])
    except (KeyError, TypeError, ValueError):
        return None
    if time.time() - issued > settings.session_days * 86400:
        return None
    user = session.get(User, uid)
    if user is None or user.session_version != version:
        return None
    return CurrentUser.from_row(user)


def _bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _load(factory: sessionmaker[Session], settings: Settings, token: str | None, data: dict):  # type: ignore[no-untyped-def]
    with factory() as session:
        if token is not None:
            return user_for_token(session, token)
        return user_for_session(session, data, settings)


# --- dependencies --------------------------------------------------------------------------------
async def current_user(request: Request) -> CurrentUser | None:
    """The user or None; also sets ``request.state.user``. Cheap for anonymous requests."""
    state = request.state
    if hasattr(state, "user"):
        return state.user
    token = _bearer_token(request)
    data = request.session if "session" in request.scope else {}
    user = None
    if token is not None or "uid" in data:
        app_state = request.app.state
        user = await run_in_threadpool(
            _load, app_state.sessionmaker, app_state.settings, token, dict(data)
        )
        if user is None and token is None:
            data.clear()  # stale or expired session: drop the cookie
        if user is None and token is not None:
            state.auth_error = "Invalid or revoked API token."
    state.user = user
    return user


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or _bearer_token(request) is not None


async def require_user(
    request: Request, user: CurrentUser | None = Depends(current_user)
) -> CurrentUser:
    """The logged-in user; 401 (JSON) under ``/api``, else a redirect to the log-in page."""
    if user is not None:
        return user
    if _is_api(request):
        message = getattr(request.state, "auth_error", None) or (
            "Authentication required: send `Authorization: Bearer TOKEN` "
            "(create a token on /settings or with `dailypapers users token NAME`)."
        )
        raise HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})
    raise HTTPException(
        303,
        "Please log in first.",
        headers={"Location": f"/login?next={quote(_come_back(request))}"},
    )


def _come_back(request: Request) -> str:
    """Where to return after log-in: this page, or for a form post the page that had the form
    (a GET of the post's URL would be a 405)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


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
