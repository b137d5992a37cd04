"""Authentication: password hashes, cookie sessions and API tokens.

* Passwords are hashed with argon2id (``argon2-cffi`` defaults); hashes are upgraded on log-in
  when the parameters change.
* A browser session is the signed ``dp_session`` cookie (Starlette's ``SessionMiddleware``)
  holding the user id, the user's ``session_version`` and the log-in time. Bumping
  ``users.session_version`` (log-out, password change) ends every session of that user; a
  session older than ``settings.session_days`` is refused even if the cookie is still valid.
* An API token is ``dp_`` + 43 random characters; only its SHA-256 is stored. Scripts send it
  as ``Authorization: Bearer TOKEN``. When a Bearer header is present the cookie is ignored, so
  a request is authenticated by exactly one credential.

The request dependencies that apply these (``current_user``, ``require_user``) live in
``web/deps.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.store.db import rowcount
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
    return rowcount(result) == 1


def list_api_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's live tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """Who a token belongs to, and whether its last use is stale enough to record again."""

    user: CurrentUser
    token_id: int
    needs_touch: bool


_touch_claims: dict[int, float] = {}  # token id -> when this process last recorded a use
_touch_lock = threading.Lock()


def user_for_token(session: Session, token: str) -> TokenOwner | None:
    """The owner of a live token (read only: ``touch_token`` records the use)."""
    row = session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user, token_id, last_used = row
    stale = last_used is None or (utcnow() - last_used).total_seconds() > _TOKEN_TOUCH_SECONDS
    return TokenOwner(CurrentUser.from_row(user), token_id, stale and _claim_touch(token_id))


def _claim_touch(token_id: int) -> bool:
    """True for one caller per token per interval in this process: a burst of requests with
    the same token writes its last use once, not once per request."""
    now = time.monotonic()
    with _touch_lock:
        if now - _touch_claims.get(token_id, float("-inf")) < _TOKEN_TOUCH_SECONDS:
            return False
        _touch_claims[token_id] = now
        return True


def touch_token(session: Session, token_id: int) -> None:
    """Record a token's use (a no-op when another process recorded it moments ago)."""
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=_TOKEN_TOUCH_SECONDS)
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < cutoff))
        .values(last_used_at=now)
    )


# --- cookie sessions -----------------------------------------------------------------------------
def start_session(cookie: MutableMapping[str, Any], user: User) -> None:
    """Log ``user`` in: a fresh cookie session (new CSRF token too, against session fixation)."""
    cookie.clear()
    cookie.update({"uid": user.id, "sv": user.session_version, "iat": int(time.time())})


def end_all_sessions(session: Session, user_id: int) -> None:
    """Invalidate every cookie session of the user (log-out everywhere, password change)."""
    session.execute(
        update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
    )


def user_for_session(
    session: Session, data: Mapping[str, Any], settings: Settings
) -> CurrentUser | None:
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
