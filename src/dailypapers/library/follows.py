"""Follows: authors, organizations, arXiv categories and saved searches.

A follow is the same object as a digest topic line: ``author:Jane Doe``, ``org:Google``,
``category:cs.LG`` or any search query (:func:`topic_line`, :func:`from_topic`), so a digest
subscription can take a user's follows as its topics, and the topic forms keep working. Each
follow also reads as a query of ``/search`` (:func:`search_query`), which is how its page of
recent papers and its Atom feed are built.
"""

from __future__ import annotations

import re
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dailypapers.digest.topics import parse_topic
from dailypapers.errors import Invalid, NotFound
from dailypapers.foryou.memo import forget as forget_for_you
from dailypapers.library.common import rowcount
from dailypapers.search import QueryError, parse_query
from dailypapers.store.models_library import Follow
from dailypapers.store.records import fold_spaces, normalise_name

FollowKind = Literal["author", "org", "category", "search"]
KINDS: tuple[str, ...] = ("author", "org", "category", "search")
MAX_FOLLOWS = 500
MAX_VALUE = 300
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$", re.IGNORECASE)


def clean(kind: object, value: object) -> tuple[str, str, str]:
    """``(kind, value, key)`` validated; ``Invalid`` with what to fix otherwise."""
    if kind not in KINDS:
        raise Invalid(f"kind is one of {', '.join(KINDS)}")
    text = fold_spaces(value) if isinstance(value, str) else ""
    if not text:
        raise Invalid("Say what to follow (value).")
    if len(text) > MAX_VALUE:
        raise Invalid(f"A follow has at most {MAX_VALUE} characters.")
    if kind == "category":
        if not _CATEGORY.match(text):
            raise Invalid(f"{text!r} is not an arXiv category such as cs.LG.")
        return "category", text, text.lower()
    if kind == "search":
        try:
            parse_query(text)
        except QueryError as exc:
            raise Invalid(f"This search cannot be followed: {exc}") from None
        return "search", text, text.lower()
    return str(kind), text, normalise_name(text)


def follow(session: Session, user_id: int, kind: object, value: object) -> tuple[Follow, bool]:
    """Follow something (idempotent); returns the follow and whether it is new."""
    kind, text, key = clean(kind, value)
    found = session.scalar(
        select(Follow).where(Follow.user_id == user_id, Follow.kind == kind, Follow.key == key)
    )
    if found is not None:
        return found, False
    count = session.scalar(select(func.count()).where(Follow.user_id == user_id)) or 0
    if count >= MAX_FOLLOWS:
        raise Invalid(f"At most {MAX_FOLLOWS} follows; unfollow something first.")
    row = Follow(user_id=user_id, kind=kind, value=text, key=key)
    session.add(row)
    session.flush()
    return row, True


def unfollow(session: Session, user_id: int, kind: object, value: object) -> bool:
    """Stop following; True when there was such a follow."""
    kind, _, key = clean(kind, value)
    stmt = delete(Follow).where(Follow.user_id == user_id, Follow.kind == kind, Follow.key == key)
    gone = bool(rowcount(session, stmt))
    if gone:
        forget_for_you(user_id)  # a removed signal: drop the user's memoised "For you" model
    return gone


def unfollow_id(session: Session, user_id: int, follow_id: int) -> None:
    """Stop following by id; ``NotFound`` when the user has no such follow."""
    stmt = delete(Follow).where(Follow.user_id == user_id, Follow.id == follow_id)
    if not rowcount(session, stmt):
        raise NotFound(f"You have no follow with id {follow_id}.")
    forget_for_you(user_id)


def list_follows(session: Session, user_id: int) -> list[Follow]:
    """The user's follows, by kind then value."""
    return list(
        session.scalars(
            select(Follow).where(Follow.user_id == user_id).order_by(Follow.kind, Follow.key)
        )
    )


def get_follow(session: Session, user_id: int, follow_id: int) -> Follow:
    row = session.get(Follow, follow_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"You have no follow with id {follow_id}.")
    return row


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def search_query(kind: str, value: str) -> str:
    """The ``/search`` query that lists what a follow matches."""
    if kind == "search":
        return value
    prefix = {"author": "author", "org": "org", "category": "category"}[kind]
    return f"{prefix}:{_quoted(value.replace(chr(34), ''))}"


def topic_line(kind: str, value: str) -> str:
    """The digest topic line of a follow (``author:Jane Doe``, or the search itself)."""
    return value if kind == "search" else f"{kind}:{value}"


def from_topic(line: str) -> tuple[str, str]:
    """``(kind, value)`` of a digest topic line."""
    topic = parse_topic(line)
    return ("search" if topic.kind == "query" else topic.kind), topic.value
