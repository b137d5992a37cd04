"""Tables of "For you": "not interested" marks, keyword rules and the private feed token.

Nothing here holds a model or a cached ranking: every request reads these rows and the
library's, and a model is reused only under the exact signal set it was fitted on
(``foryou.memo``, in memory; exact forgetting). Every row cascades away with its user, and
account deletion deletes them explicitly too.
Migration ``0009`` creates these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.store.models import Base, utcnow

_USER_FK = "users.id"


class NotInterested(Base):
    """A paper the user asked not to be shown again (a negative signal for the ranker)."""

    __tablename__ = "not_interested"
    __table_args__ = (Index("ix_not_interested_user_at", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ForYouRule(Base):
    """ "Always show" or "never show" papers matching a query in the /search language."""

    __tablename__ = "foryou_rules"
    __table_args__ = (UniqueConstraint("user_id", "action", "query"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(8))  # always|never
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FeedToken(Base):
    """The private Atom feed's token (only its SHA-256 is stored; a new one revokes the old)."""

    __tablename__ = "foryou_feed_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
