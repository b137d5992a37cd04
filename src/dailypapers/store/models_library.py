"""Tables of the personal library: saves, collections, tags, notes, read state, follows.

Every table is keyed by ``user_id`` first, so "which of these N papers has user U saved / read"
is one index range scan (``(user_id, paper_id)`` primary keys). Rows cascade away with their
user (``ON DELETE CASCADE``) and with their paper. Collection memberships and tags reference
the save itself (a composite foreign key), so unsaving a paper removes them in the database.
Migration ``0008`` creates these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from dailypapers.store.base import Base, utcnow

_USER_FK = "users.id"
_PAPER_FK = "papers.id"


class SavedPaper(Base):
    """A paper in a user's library, with the user's note (plain text or Markdown)."""

    __tablename__ = "saved_papers"
    __table_args__ = (Index("ix_saved_papers_user_saved", "user_id", "saved_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[str] = mapped_column(
        ForeignKey(_PAPER_FK, ondelete="CASCADE"), primary_key=True, index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    note_format: Mapped[str] = mapped_column(String(16), default="markdown")  # markdown|plain
    source: Mapped[str] = mapped_column(String(16), default="web")  # web|api|import
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Collection(Base):
    """A named list of saved papers; ``is_default`` marks the "Reading list"."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("user_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # Random, unguessable: the public URL of a shared collection (None while private).
    share_slug: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CollectionPaper(Base):
    """A saved paper's membership of a collection (a paper may be in several)."""

    __tablename__ = "collection_papers"
    __table_args__ = (
        ForeignKeyConstraint(
            ["user_id", "paper_id"],
            ["saved_papers.user_id", "saved_papers.paper_id"],
            ondelete="CASCADE",
        ),
        Index("ix_collection_papers_user_paper", "user_id", "paper_id"),
    )

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PaperTag(Base):
    """One tag of a saved paper."""

    __tablename__ = "paper_tags"
    __table_args__ = (
        ForeignKeyConstraint(
            ["user_id", "paper_id"],
            ["saved_papers.user_id", "saved_papers.paper_id"],
            ondelete="CASCADE",
        ),
        Index("ix_paper_tags_user_tag", "user_id", "tag"),
    )

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class ReadMark(Base):
    """A paper the user has read (explicitly, or by opening its page or PDF)."""

    __tablename__ = "read_marks"
    __table_args__ = (Index("ix_read_marks_user_read", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[str] = mapped_column(
        ForeignKey(_PAPER_FK, ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="explicit")  # explicit|page|pdf|import
    read_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Follow(Base):
    """A followed author, organization, arXiv category or saved search.

    ``value`` is what the user typed (shown back); ``key`` its normalised form (unique per user
    and kind). A follow is the same thing as a digest topic line (see ``library.follows``).
    """

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # author|org|category|search
    value: Mapped[str] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LibraryPrefs(Base):
    """Per-user switches of the library (a missing row means the defaults)."""

    __tablename__ = "library_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    auto_read: Mapped[bool] = mapped_column(Boolean, default=True)
    hide_read: Mapped[bool] = mapped_column(Boolean, default=False)
    public_upvotes: Mapped[bool] = mapped_column(Boolean, default=False)


class PendingImport(Base):
    """An imported arXiv id not yet in the database: fetched from arXiv by a queued job."""

    __tablename__ = "pending_imports"

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PaperDoi(Base):
    """DOIs known for local papers, learned from imported entries that also carried an arXiv
    id or a matching title; later imports then match by DOI alone."""

    __tablename__ = "paper_dois"

    doi: Mapped[str] = mapped_column(String(255), primary_key=True)
    paper_id: Mapped[str] = mapped_column(ForeignKey(_PAPER_FK, ondelete="CASCADE"), index=True)


class SubscriptionLink(Base):
    """The digest subscription of the account's own address, linked after a mailed link proved
    the address (so a "For you" section can be added to that subscriber's digests)."""

    __tablename__ = "subscription_links"

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER_FK, ondelete="CASCADE"), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), unique=True
    )
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
