"""Account writes: sign up, log in, password change and password-reset tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
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
from dailypapers.store.db import rowcount
from dailypapers.store.models import SignupRequest, User, utcnow

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


# --- sign-up with e-mail confirmation ------------------------------------------------------------
SIGNUP_MAX_AGE = 3 * 24 * 3600  # a confirmation link works for three days
SIGNUP_REPLY = (
    "Thanks! We sent a link to that address. Follow it within three days to finish creating "
    "your account (if the address already has an account, the mail says so instead)."
)


@dataclass(frozen=True)
class SignupOutcome:
    """What a sign-up did; the web answer is the same for both, only the mail differs."""

    email: str
    request_id: int | None  # a new request, to be confirmed by the mailed link
    known: User | None  # the account that already uses the address


def _signup_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="dailypapers.signup-confirm")


def request_signup(session: Session, username: str, email: str, password: str) -> SignupOutcome:
    """Record a sign-up to be confirmed by mail; nothing tells whether the address was known.

    A taken user name is refused at once (user names are public on every comment); a known
    address gets the same answer as a new one, and the mail to it says it has an account.
    The password is hashed either way so the answer takes as long in both cases.
    """
    username, email = validate_signup(username, email, password)
    password_hash = hash_password(password)
    purge_signup_requests(session, utcnow() - dt.timedelta(seconds=SIGNUP_MAX_AGE))
    if find_user(session, username) is not None:
        raise CommunityError("That user name is taken; please choose another.", 409)
    known = find_user(session, email)
    if known is not None:
        return SignupOutcome(email, None, known)
    request = SignupRequest(username=username, email=email, password_hash=password_hash)
    session.add(request)
    session.flush()
    return SignupOutcome(email, request.id, None)


def signup_token(settings: Settings, request_id: int) -> str:
    """The signed token of a confirmation link (expires after ``SIGNUP_MAX_AGE``)."""
    return _signup_serializer(settings).dumps({"r": request_id})


def confirm_signup(session: Session, settings: Settings, token: str) -> User:
    """Create the account a confirmation link stands for (once; later uses are refused)."""
    try:
        data = _signup_serializer(settings).loads(token, max_age=SIGNUP_MAX_AGE)
    except SignatureExpired:
        raise CommunityError("This link has expired: please sign up again.") from None
    except BadSignature:
        raise CommunityError("This confirmation link is not valid.") from None
    request = session.get(SignupRequest, data.get("r")) if isinstance(data, dict) else None
    if request is None:
        raise CommunityError("This link has already been used: please log in.")
    if find_user(session, request.email) is not None:
        raise CommunityError("This address already has an account: please log in.", 409)
    if find_user(session, request.username) is not None:
        raise CommunityError(
            f"The user name {request.username!r} was taken meanwhile: please sign up again "
            "with another one.",
            409,
        )
    user = User(username=request.username, email=request.email,
                password_hash=request.password_hash)  # fmt: skip
    session.add(user)
    session.execute(delete(SignupRequest).where(SignupRequest.email == request.email))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a twin click on the same link, or a concurrent sign-up
        raise CommunityError("This link has already been used: please log in.", 409) from None
    return user


def signup_mail(settings: Settings, outcome: SignupOutcome) -> EmailMessage:
    """The mail answering a sign-up: a confirmation link, or "you already have an account"."""
    base = settings.base_url.rstrip("/")
    message = EmailMessage()
    message["To"] = outcome.email
    message["From"] = settings.mail_from
    if outcome.known is not None:
        message["Subject"] = f"You already have a {settings.site_name} account"
        message.set_content(
            f"Someone (hopefully you) tried to sign up to {settings.site_name} with this "
            f"address, which already has an account (user name {outcome.known.username}).\n\n"
            f"Log in: {base}/login\nForgot your password? {base}/password/forgot\n\n"
            "If it was not you, ignore this mail; nothing changes.\n"
        )
        return message
    assert outcome.request_id is not None
    link = f"{base}/signup/confirm/{signup_token(settings, outcome.request_id)}"
    message["Subject"] = f"Confirm your {settings.site_name} account"
    message.set_content(
        f"Welcome to {settings.site_name}! Follow this link within three days to confirm your "
        f"address and create your account:\n{link}\n\n"
        "If you did not sign up, ignore this mail; no account is created.\n"
    )
    return message


def purge_signup_requests(session: Session, older_than: dt.datetime) -> int:
    """Delete sign-up requests whose link has expired; returns how many."""
    result = session.execute(delete(SignupRequest).where(SignupRequest.created_at < older_than))
    return rowcount(result)
