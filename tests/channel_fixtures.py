"""Helpers for channel tests: settings that may post to loopback, users, papers, follows."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest

from dailypapers.channels import add_channel
from dailypapers.channels.follows import Follow
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from tests.channel_receivers import Receiver

HOSTILE = "**Bold** <b>x</b> [click](http://evil.example) @everyone @here <@123> <!channel> `c`"


def channel_settings(settings: Settings, **extra: object) -> Settings:
    values = {"channels_allow_private": True, "channel_backoff_seconds": 0.0,
              "channel_timeout_seconds": 1.0, "channel_retries": 2,
              "base_url": "https://papers.example", "rate_limit_enabled": False,
              "mail_retries": 0,
              **extra}  # fmt: skip
    return settings.model_copy(update=values)


def point_discord_at(rx: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apprise's Discord and Slack plugins post to discord.com and hooks.slack.com; tests
    point them at the receiver."""
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.slack import NotifySlack

    monkeypatch.setattr(NotifyDiscord, "notify_url", f"{rx.base}/api/webhooks")
    monkeypatch.setattr(NotifySlack, "webhook_url", f"{rx.base}/services")


def url_for(kind: str, rx: Receiver, token: str) -> str:
    """A channel URL of ``kind`` whose messages reach ``rx`` under ``token``."""
    return {
        "mattermost": f"mmost://127.0.0.1:{rx.port}/{token}",
        "slack": f"https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/{token}",
        "discord": f"discord://424242/{token}",
        "ntfy": f"ntfy://127.0.0.1:{rx.port}/{token}",
        "matrix": f"matrix://mxtoken@127.0.0.1:{rx.port}/!{token}:localhost?discovery=no",
        "webhook": f"{rx.base}/webhook/{token}",
    }[kind]


def token_of(kind: str, token: str) -> str:
    """The token the receiver files a message under (Matrix: the room id)."""
    return f"%21{token}%3Alocalhost" if kind == "matrix" else token


def new_channel(settings: Settings, user_id: int, url: str, **kw: object) -> tuple[int, str | None]:
    with db.session_scope(settings) as session:
        made = add_channel(session, settings, user_id, url, **kw)
        return made.channel.id, made.secret


def add_papers(settings: Settings, specs: list[dict], day: dt.date | None = None) -> list[str]:
    day = day or dt.datetime.now(dt.UTC).date()
    records = [PaperRecord(
        title=s["title"], abstract=s.get("abstract", "We study things."), arxiv_id=s["id"],
        authors=s.get("authors", ["Grace Hopper"]), categories=s.get("categories", ["cs.LG"]),
        published_on=day, feed_date=day, organization=s.get("org"), upvotes=s.get("upvotes"),
    ) for s in specs]  # fmt: skip
    with db.session_scope(settings) as session:
        upsert_records(session, records)
    return [s["id"] for s in specs]


def follows_of(*pairs: tuple[str, str]):
    """A follow source giving every user these follows."""
    follows = [Follow(k, v) for k, v in pairs]
    return lambda session, user_ids: {uid: follows for uid in user_ids}


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """How a receiver checks a dailypapers webhook (the recipe of docs/channels.md)."""
    stamp = headers["X-Dailypapers-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + expected, headers["X-Dailypapers-Signature"])
