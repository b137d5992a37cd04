"""Reads about users: what they voted for."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.store.models import Upvote


def upvoted_among(session: Session, user_id: int, paper_ids: Iterable[str]) -> set[str]:
    """Which of ``paper_ids`` the user upvoted (one query on the votes' primary key)."""
    wanted = list(paper_ids)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Upvote.paper_id).where(Upvote.user_id == user_id, Upvote.paper_id.in_(wanted))
        )
    )
