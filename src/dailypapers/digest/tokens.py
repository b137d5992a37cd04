"""Signed tokens in mail links: confirmation (expiring) and management (lasting).

Both are HMAC-signed with ``settings.secret_key`` (itsdangerous), each under its own salt so
that one kind can never be replayed as the other. A management token names the subscription
and its ``token_version``; bumping the version revokes every link mailed so far.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadData, Signer, URLSafeTimedSerializer

from dailypapers.config import Settings
from dailypapers.errors import Invalid

CONFIRM_MAX_AGE = 3 * 24 * 3600
_CONFIRM_SALT = "dailypapers.digest.confirm"
_MANAGE_SALT = "dailypapers.digest.manage"


class InvalidToken(Invalid):
    """A link that was altered, expired or revoked: 400 on pages and API alike."""


@dataclass(frozen=True)
class ConfirmRequest:
    """What a subscribe request asked for, carried in the confirmation link until clicked."""

    subscription_id: int
    email: str
    frequency: str
    topics: tuple[str, ...]


def make_confirm_token(settings: Settings, request: ConfirmRequest) -> str:
    """A link token that expires after three days."""
    payload = [request.subscription_id, request.email, request.frequency, list(request.topics)]
    return URLSafeTimedSerializer(settings.secret_key, salt=_CONFIRM_SALT).dumps(payload)


def read_confirm_token(settings: Settings, token: str) -> ConfirmRequest:
    """The request a confirmation token carries; :class:`InvalidToken` when bad or expired."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=_CONFIRM_SALT)
    try:
        sid, email, frequency, topics = serializer.loads(token, max_age=CONFIRM_MAX_AGE)
        return ConfirmRequest(int(sid), str(email), str(frequency), tuple(map(str, topics)))
    except (BadData, ValueError, TypeError) as exc:
        raise InvalidToken(
            "This confirmation link is invalid or has expired: subscribe again for a new one."
        ) from exc


def read_confirm_token_with_time(
    settings: Settings, token: str
) -> tuple[ConfirmRequest, dt.datetime]:
    """The request and when its link was issued (naive UTC, like the database's times)."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=_CONFIRM_SALT)
    try:
        _, issued = serializer.loads(token, max_age=CONFIRM_MAX_AGE, return_timestamp=True)
    except (BadData, ValueError, TypeError) as exc:
        raise InvalidToken(
            "This confirmation link is invalid or has expired: subscribe again for a new one."
        ) from exc
    return read_confirm_token(settings, token), issued.astimezone(dt.UTC).replace(tzinfo=None)


def _manage_signer(secret: str) -> Signer:
    return Signer(secret, salt=_MANAGE_SALT)


def make_manage_token(settings: Settings, subscription_id: int, version: int) -> str:
    """The lasting token of preference and unsubscribe links: ``ID-VERSION.SIGNATURE``.

    A bare HMAC over two numbers (no JSON, no compression): a digest run signs one per mail.
    """
    return _manage_signer(settings.secret_key).sign(f"{subscription_id}-{version}").decode()


def read_manage_token(settings: Settings, token: str) -> tuple[int, int]:
    """``(subscription_id, token_version)``; :class:`InvalidToken` when altered."""
    try:
        value = _manage_signer(settings.secret_key).unsign(token).decode()
        sid, version = value.split("-")
        return int(sid), int(version)
    except (BadData, ValueError, TypeError) as exc:
        raise InvalidToken("This link is invalid: use the link from your latest digest.") from exc
