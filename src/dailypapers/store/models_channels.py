"""Tables of delivery channels (``channels``): where a user's digests and alerts go.

* ``channels``: one destination (Slack, Discord, Matrix, ntfy, a signed webhook, …). The
  destination URL holds secrets, so it is stored encrypted (``channels.crypto``); only a
  masked form is ever shown again.
* ``channel_sends``: the send log, one row per channel and message key (a digest period, an
  alert batch or a test), ``sent`` only once the endpoint accepted the message.
* ``alert_batches``: the new papers of one ingestion run, fixed when the run ends, so that
  a rerun after a crash sends exactly the same alerts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.store.base import Base, utcnow


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(32))  # slack|discord|matrix|ntfy|mattermost|webhook|…
    url_encrypted: Mapped[str] = mapped_column(Text)
    url_hint: Mapped[str] = mapped_column(String(300), default="")
    secret_encrypted: Mapped[str | None] = mapped_column(Text)  # webhook signing secret
    digest: Mapped[str] = mapped_column(String(8), default="daily")  # none|daily|weekly
    alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)  # or disabled
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    alerts_done_batch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ChannelSend(Base):
    """The send log: ``(channel, key)`` is unique; ``sent`` after the endpoint accepted."""

    __tablename__ = "channel_sends"
    __table_args__ = (UniqueConstraint("channel_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))  # digest:daily:2025-03-18 | alert:42 | test:…
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    paper_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AlertBatch(Base):
    """The papers first stored between ``since`` and ``until`` (one ingestion run)."""

    __tablename__ = "alert_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[dt.datetime] = mapped_column(DateTime, unique=True)  # one batch per span
    until: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    paper_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
