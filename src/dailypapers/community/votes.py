"""Upvotes: one per user and paper, with ``papers.upvotes`` exact under concurrent requests.

The vote row's primary key (user, paper) is the guard: ``INSERT … ON CONFLICT DO NOTHING``
reports whether this request created the vote, and only then is the paper's counter moved by
one, in the same transaction. On PostgreSQL the counter update takes the paper's row lock and
re-reads the committed value, on SQLite the whole write is serialised, so parallel votes by
many users add up exactly and parallel votes by one user count once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.community.errors import CommunityError
from dailypapers.config import Settings
from dailypapers.foryou.memo import forget as forget_for_you
from dailypapers.store.db import rowcount
from dailypapers.store.models import Paper, Upvote, utcnow
from dailypapers.store.trending import move_counts


@dataclass(frozen=True)
class VoteResult:
    paper_id: str
    upvotes: int
    upvoted: bool  # the user's vote exists after the call
    changed: bool  # this call created or removed it


def _paper_exists(session: Session, paper_id: str) -> None:
    if session.scalar(select(Paper.id).where(Paper.id == paper_id)) is None:
        raise CommunityError(f"No paper with id {paper_id!r}.", 404)


def _insert_vote(session: Session, settings: Settings, user_id: int, paper_id: str) -> bool:
    dialect = sqlite if settings.is_sqlite else postgresql
    stmt = dialect.insert(Upvote.__table__).values(
        user_id=user_id, paper_id=paper_id, created_at=utcnow()
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    stmt = stmt.on_conflict_do_nothing().returning(Upvote.__table__.c.user_id)
    return session.execute(stmt).first() is not None


def _bump(session: Session, settings: Settings, paper_id: str, delta: int) -> int:
    return move_counts(session, settings, paper_id, votes=delta)[0]


def upvote(session: Session, settings: Settings, user_id: int, paper_id: str) -> VoteResult:
    """Add the user's vote (idempotent)."""
    _paper_exists(session, paper_id)
    created = _insert_vote(session, settings, user_id, paper_id)
    if created:
        count = _bump(session, settings, paper_id, +1)
    else:
        count = session.scalar(select(Paper.upvotes).where(Paper.id == paper_id)) or 0
    return VoteResult(paper_id, count, True, created)


def remove_upvote(session: Session, settings: Settings, user_id: int, paper_id: str) -> VoteResult:
    """Withdraw the user's vote (idempotent)."""
    _paper_exists(session, paper_id)
    gone = delete(Upvote).where(Upvote.user_id == user_id, Upvote.paper_id == paper_id)
    removed = rowcount(session.execute(gone)) == 1
    if removed:
        forget_for_you(user_id)  # a removed signal: drop the user's memoised "For you" model
        count = _bump(session, settings, paper_id, -1)
    else:
        count = session.scalar(select(Paper.upvotes).where(Paper.id == paper_id)) or 0
    return VoteResult(paper_id, count, False, removed)
