"""Account writes: sign up, log in, password change and password-reset tokens."""

from __future__ import annotations

import hashlib
import re

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.community.auth import (
    end_all_sessions,
    hash_password,
    needs_rehash,
    verify_password,
)
from dailypapers.community.errors import CommunityError
from dailypapers.config import Settings
from dailypapers.store.models import User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,38}[A-Za-z0-9]$")
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
MIN_PASSWORD = 8
RESET_MAX_AGE = 3600  # a reset link works for one hour


def validate_signup(username: str, email: str, password: str) -> tuple[str, str]:
    """The cleaned (username, email) or a ``CommunityError`` saying what to fix."""
    username, email = username.strip(), email.strip().lower()
    if not USERNAME.match(username):
        raise CommunityError(
            "User names have 3 to 40 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit."
        )
    if len(email) > 254 or not EMAIL.match(email):
        raise CommunityError("Please give a valid email address.")
    check_password(password)
    return username, email


def check_password(password: str) -> None:
    """Refuse passwords that are too short or absurdly long."""
    if len(password) < MIN_PASSWORD:
        raise CommunityError(f"Passwords need at least {MIN_PASSWORD} characters.")
    if len(password) > 1024:
        raise CommunityError("Passwords may have at most 1024 characters.")


def find_user(session: Session, name_or_email: str) -> User | None:
    """The user with this user name (case-insensitive) or email address."""
    key = name_or_email.strip().lower()
    column = User.email if "@" in key else func.lower(User.username)
    return session.scalar(select(User).where(column == key))


def create_user(
    session: Session, username: str, email: str, password: str, *, is_admin: bool = False
) -> User:
    """A new account; 409 when the name or address is taken."""
    username, email = validate_signup(username, email, password)
    if find_user(session, username) is not None or find_user(session, email) is not None:
        raise CommunityError(
            "That user name or email address is already registered.", 409
        ) from None
    user = User(
        username=username, email=email, password_hash=hash_password(password), is_admin=is_admin
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent sign-up took the name between check and insert
        session.rollback()
        raise CommunityError(
            "That user name or email address is already registered.", 409
        ) from None
    return user


def authenticate(session: Session, name_or_email: str, password: str) -> User | None:
    """The user when the password matches (re-hashing outdated hashes), else None."""
    user = find_user(session, name_or_email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change the password and end every existing session of the user."""
    check_password(password)
    user.password_hash = hash_password(password)
    end_all_sessions(session, user.id)


# --- password reset ------------------------------------------------------------------------------
def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="dailypapers.password-reset")


def _fingerprint(user: User) -> str:
    # Binds the token to the current hash: once the password changes the link is dead.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(settings: Settings, user: User) -> str:
    """A signed token for the reset link: valid one hour, single use."""
    return _serializer(settings).dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(session: Session, settings: Settings, token: str) -> User:
    """The user a reset token names, or a ``CommunityError`` when expired, used or forged."""
    try:
        data = _serializer(settings).loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise CommunityError("This reset link has expired; ask for a new one.") from None
    except BadSignature:
        raise CommunityError("This reset link is not valid.") from None
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or data.get("fp") != _fingerprint(user):
        raise CommunityError("This reset link has already been used; ask for a new one.")
    return user
