"""Adding, listing, deleting and testing a user's channels (services never commit)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.channels import compose
from dailypapers.channels.crypto import UnreadableSecret, encrypt
from dailypapers.channels.crypto import decrypt as _decrypt
from dailypapers.channels.ssrf import check_host, check_url
from dailypapers.channels.targets import instantiate, parse_target
from dailypapers.channels.transport import Outcome, deliver
from dailypapers.config import Settings
from dailypapers.errors import Invalid, NotFound, TooLarge
from dailypapers.store.models_channels import Channel

MAX_CHANNELS = 10
DIGESTS = ("none", "daily", "weekly")


@dataclass(frozen=True)
class NewChannel:
    channel: Channel
    secret: str | None  # the webhook signing secret: shown once, at creation


def _check_reachable(settings: Settings, kind: str, url: str) -> None:
    """Refuse private targets at once (the send-time guard would refuse them anyway)."""
    if kind == "webhook":
        check_url(url, allow_private=settings.channels_allow_private)
        return
    plugin = instantiate(url)
    if any("{host}" in t for t in getattr(plugin, "templates", ())):  # a self-hosted service
        check_host(plugin.host, None, allow_private=settings.channels_allow_private)


def add_channel(
    session: Session, settings: Settings, user_id: int, url: str, *,
    name: str = "", digest: str = "daily", alerts: bool = True,
) -> NewChannel:  # fmt: skip
    """Validate and store a channel (URL encrypted); webhooks get a signing secret."""
    if digest not in DIGESTS:
        raise Invalid("digest must be none, daily or weekly.")
    count = session.scalar(select(func.count()).where(Channel.user_id == user_id))
    if (count or 0) >= MAX_CHANNELS:
        raise TooLarge(f"At most {MAX_CHANNELS} channels per account; delete one first.")
    target = parse_target(url)
    _check_reachable(settings, target.kind, target.url)
    secret = "whsec_" + secrets.token_urlsafe(32) if target.kind == "webhook" else None
    channel = Channel(
        user_id=user_id, name=name.strip()[:100], kind=target.kind, url_hint=target.hint,
        url_encrypted=encrypt(settings.secret_key, target.url), digest=digest, alerts=alerts,
        secret_encrypted=encrypt(settings.secret_key, secret) if secret else None,
        alerts_done_batch=compose.latest_batch_id(session), status="active",
    )  # fmt: skip
    session.add(channel)
    session.flush()
    return NewChannel(channel, secret)


def list_channels(session: Session, user_id: int) -> list[Channel]:
    return list(session.scalars(select(Channel).where(Channel.user_id == user_id)
                                .order_by(Channel.id)))  # fmt: skip


def get_channel(session: Session, user_id: int, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.user_id != user_id:
        raise NotFound(f"You have no channel {channel_id}.")
    return channel


def delete_channel(session: Session, user_id: int, channel_id: int) -> None:
    session.delete(get_channel(session, user_id, channel_id))


def send_test(session: Session, settings: Settings, channel: Channel) -> Outcome:
    """Post a test message now (one attempt); the outcome says what the endpoint answered."""
    try:
        url = _decrypt(settings.secret_key, channel.url_encrypted)
        secret = (_decrypt(settings.secret_key, channel.secret_encrypted)
                  if channel.secret_encrypted else None)  # fmt: skip
    except UnreadableSecret as exc:
        return Outcome("permanent", str(exc))
    msg = compose.test_message(session, settings)
    return deliver(settings, channel.kind, url, secret, channel.id, msg)


def public_view(channel: Channel) -> dict[str, object]:
    """What the API and the page show: never the URL or the secret."""
    return {
        "id": channel.id, "name": channel.name, "kind": channel.kind, "url": channel.url_hint,
        "digest": channel.digest, "alerts": channel.alerts, "status": channel.status,
        "disabled_reason": channel.disabled_reason, "last_error": channel.last_error,
        "last_success_at": channel.last_success_at.isoformat() if channel.last_success_at
        else None, "created_at": channel.created_at.isoformat(),
    }  # fmt: skip
