"""Subscriptions: double opt-in, preferences by signed link, unsubscribe.

Nothing about an address leaks through the answers: a subscribe request for a new, pending,
confirmed or unsubscribed address gets the same reply, and the only effect anyone can observe
is a mail in that address's own inbox. A confirmed subscriber's settings never change until
the link in that mail is followed, because the requested settings travel inside the signed
confirmation link rather than being written at once.
"""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.digest import tokens
from dailypapers.digest.render import render_confirmation, site_url
from dailypapers.digest.tokens import ConfirmRequest, InvalidToken
from dailypapers.digest.topics import TopicError, clean_topics
from dailypapers.errors import Invalid
from dailypapers.store.models import Subscription, utcnow

FREQUENCIES = ("daily", "weekly")
RESUBSCRIBE = (
    "This address unsubscribed: subscribe again on /subscribe and follow the new confirmation link."
)
SUBSCRIBE_REPLY = (
    "Thanks! If this address can receive mail, a confirmation link is on its way. "
    "Nothing will be sent before you confirm."
)
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)

__all__ = [
    "FREQUENCIES",
    "SUBSCRIBE_REPLY",
    "InvalidToken",
    "SubscriptionError",
    "confirm",
    "for_manage_token",
    "normalise_email",
    "request_subscription",
    "suppression_key",
    "unsubscribe",
    "unsubscribed_by",
    "update_preferences",
]


class SubscriptionError(Invalid):
    """Input a subscriber can fix (bad address, frequency or topics)."""


def normalise_email(text: str) -> str:
    """The address in canonical form; :class:`SubscriptionError` when it is not one."""
    email = (text or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email) or ".." in email:
        raise SubscriptionError("Please enter a valid e-mail address, e.g. ada@example.org.")
    return email


def check_preferences(frequency: str, topics: list[str]) -> tuple[str, list[str]]:
    """Validated ``(frequency, topics)``."""
    if frequency not in FREQUENCIES:
        raise SubscriptionError("frequency must be daily or weekly")
    try:
        return frequency, clean_topics(topics)
    except TopicError as exc:
        raise SubscriptionError(str(exc)) from exc


def request_subscription(
    session: Session, settings: Settings, email: str, frequency: str, topics: list[str]
) -> EmailMessage:
    """Record a pending subscriber when the address is new; return the mail to send it.

    The caller commits and queues the mail; the HTTP answer must not depend on the outcome.
    """
    email = normalise_email(email)
    frequency, topics = check_preferences(frequency, topics)
    sub = _pending_row(session, email, frequency, topics)
    if sub.status != "confirmed":
        sub.frequency, sub.topics = frequency, topics
    request = ConfirmRequest(sub.id, email, frequency, tuple(topics))
    url = site_url(settings, f"/subscribe/confirm/{tokens.make_confirm_token(settings, request)}")
    return render_confirmation(
        settings, email, url, already=sub.status == "confirmed", frequency=frequency,
        topics=topics,
    )  # fmt: skip


def suppression_key(email: str) -> str:
    """What an unsubscribed row keeps instead of its address: ``sha256:`` and the hex digest.

    Unsalted on purpose: it must match the same address again after a secret-key rotation.
    No ``@`` in it, so it can never be mistaken for (or mailed as) an address.
    """
    return "sha256:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _pending_row(session: Session, email: str, frequency: str, topics: list[str]) -> Subscription:
    """The address's row, created as pending when new (a concurrent twin request may win).

    An address that unsubscribed is found by its suppression key and gets its address back,
    as ``pending``: only the new confirmation link can make it receive digests again.
    """
    sub = session.scalar(select(Subscription).where(Subscription.email == email))
    if sub is not None:
        return sub
    sub = session.scalar(select(Subscription).where(Subscription.email == suppression_key(email)))
    if sub is not None:
        sub.email, sub.status = email, "pending"
        return sub
    try:
        with session.begin_nested():
            sub = Subscription(email=email, frequency=frequency, topics=topics, status="pending")
            session.add(sub)
    except IntegrityError:
        sub = session.scalar(select(Subscription).where(Subscription.email == email))
        assert sub is not None
    return sub


def confirm(session: Session, settings: Settings, token: str) -> Subscription:
    """Apply a confirmation link: the subscriber is active with the settings they asked for.

    A link issued before the subscriber last unsubscribed no longer works, so an old mail
    cannot undo an unsubscribe.
    """
    request, issued_at = tokens.read_confirm_token_with_time(settings, token)
    sub = session.get(Subscription, request.subscription_id)
    if sub is None or sub.email != request.email:
        raise InvalidToken("This confirmation link is no longer valid: subscribe again.")
    # Link times have whole seconds: a link mailed by a re-subscription in the second of the
    # unsubscription must still work.
    unsubscribed_at = sub.unsubscribed_at and sub.unsubscribed_at.replace(microsecond=0)
    if unsubscribed_at is not None and issued_at < unsubscribed_at:
        raise InvalidToken("This link predates your unsubscription: subscribe again.")
    sub.frequency, sub.topics = request.frequency, list(request.topics)
    if sub.status != "confirmed":
        sub.status = "confirmed"
        sub.confirmed_at = utcnow()
        sub.unsubscribed_at = None
        sub.bounce_reason = None
    return sub


def for_manage_token(session: Session, settings: Settings, token: str) -> Subscription:
    """The subscription a preferences/unsubscribe link names; :class:`InvalidToken` if revoked."""
    sid, version = tokens.read_manage_token(settings, token)
    sub = session.get(Subscription, sid)
    if sub is None or sub.token_version != version:
        raise InvalidToken("This link is no longer valid: use the link from your latest digest.")
    return sub


def update_preferences(sub: Subscription, frequency: str, topics: list[str]) -> Subscription:
    """Change frequency and topics from the preferences page (re-activates a bounced address;
    an unsubscribed one must subscribe again and confirm)."""
    if sub.status == "unsubscribed":
        raise SubscriptionError(RESUBSCRIBE)
    sub.frequency, sub.topics = check_preferences(frequency, topics)
    if sub.status != "confirmed":
        sub.status = "confirmed"
        sub.confirmed_at = utcnow()
        sub.unsubscribed_at = None
        sub.bounce_reason = None
    return sub


def unsubscribe(sub: Subscription) -> Subscription:
    """Stop all mail to ``sub`` at once (idempotent).

    The address is replaced by its suppression key (nothing else of it is kept), topics are
    dropped, and ``token_version`` moves on, so every preferences link mailed so far is dead.
    """
    if sub.status != "unsubscribed":
        sub.status = "unsubscribed"
        sub.unsubscribed_at = utcnow()
        sub.email = suppression_key(sub.email)
        sub.topics = []
        sub.token_version += 1
    return sub


def unsubscribed_by(session: Session, settings: Settings, token: str) -> Subscription | None:
    """The subscription a just-used unsubscribe link ended (its token is one version behind),
    so a repeated one-click POST or a reload still answers "you are unsubscribed"."""
    try:
        sid, version = tokens.read_manage_token(settings, token)
    except InvalidToken:
        return None
    sub = session.get(Subscription, sid)
    if sub is None or sub.status != "unsubscribed" or sub.token_version != version + 1:
        return None
    return sub
