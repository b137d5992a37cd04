"""Public profiles (``/users/{name}``): public collections, submissions, comments, and upvotes
when the user chose to show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.store.models import Comment, FeedEntry, Paper, Upvote, User
from dailypapers.store.models_library import Collection, CollectionPaper, LibraryPrefs

LIMIT = 50


@dataclass(frozen=True, slots=True)
class Owner:
    id: int
    username: str


@dataclass(slots=True)
class Profile:
    username: str
    joined: dt.datetime
    collections: list[tuple[Collection, int]] = field(default_factory=list)
    submissions: list[tuple[str, str, dt.date]] = field(default_factory=list)  # id, title, day
    comments: list[tuple[int, str, str, str]] = field(
        default_factory=list
    )  # id, paper, title, text
    upvotes_public: bool = False
    upvoted_ids: list[str] = field(default_factory=list)


def profile_of(session: Session, user_id: int) -> Owner:
    user = session.get(User, user_id)
    return Owner(user_id, user.username if user else "(deleted)")


def public_profile(session: Session, name: str) -> Profile | None:
    """What anyone may see of the user ``name`` (case-insensitive), or None."""
    user = session.scalar(select(User).where(func.lower(User.username) == name.strip().lower()))
    if user is None:
        return None
    profile = Profile(user.username, user.created_at)
    counts = (
        select(CollectionPaper.collection_id, func.count().label("n"))
        .group_by(CollectionPaper.collection_id)
        .subquery()
    )
    profile.collections = [
        (c, int(n or 0))
        for c, n in session.execute(
            select(Collection, counts.c.n)
            .outerjoin(counts, counts.c.collection_id == Collection.id)
            .where(Collection.user_id == user.id, Collection.is_public.is_(True))
            .order_by(func.lower(Collection.name))
        )
    ]
    profile.submissions = [
        (str(p), str(t), d)
        for p, t, d in session.execute(
            select(Paper.id, Paper.title, FeedEntry.feed_date)
            .join(FeedEntry)
            .where(FeedEntry.submitted_by_id == user.id)
            .order_by(FeedEntry.feed_date.desc())
            .limit(LIMIT)
        )
    ]
    profile.comments = [
        (int(i), str(p), str(t), str(x))
        for i, p, t, x in session.execute(
            select(Comment.id, Paper.id, Paper.title, Comment.text)
            .join(Paper)
            .where(Comment.user_id == user.id, Comment.deleted_at.is_(None))
            .order_by(Comment.created_at.desc())
            .limit(LIMIT)
        )
    ]
    prefs = session.get(LibraryPrefs, user.id)
    profile.upvotes_public = bool(prefs and prefs.public_upvotes)
    if profile.upvotes_public:
        profile.upvoted_ids = list(
            session.scalars(
                select(Upvote.paper_id)
                .where(Upvote.user_id == user.id)
                .order_by(Upvote.created_at.desc())
                .limit(LIMIT)
            )
        )
    return profile
