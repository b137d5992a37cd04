"""The trending score: exponential time decay of votes and comments, stored order-stable.

A paper's heat at time *now* is

    heat = (1 + upvotes + w · comments) · 2^(-age_hours / H)

where ``age_hours`` counts from its feed date (00:00 UTC), ``w`` is
``settings.trending_comment_weight`` and ``H`` is ``settings.trending_half_life_hours``: a
paper's votes count half after ``H`` hours. Taking log2 and dropping the term that depends on
*now* alone (identical for every paper) gives the stored score

    trending_score = log2(1 + upvotes + w · comments) + hours(feed_date - 2020-01-01) / H

which orders papers exactly as ``heat`` does at every instant. So the score never needs a
periodic recomputation: it changes only when the paper's votes or comments change, and that
update is one row, done in SQL in the transaction of the vote or comment (so concurrent votes
never write a stale score). Sorting by the indexed
``papers.trending_score`` column is cheap at any size. With ``H = 24``, one day of age weighs
as much as doubling the votes: yesterday's paper with 15 votes ties today's with 7.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import Date, bindparam, case, func, literal, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.store.db import rowcount
from dailypapers.store.models import FeedEntry, Paper, table_of
from dailypapers.store.version import bump_data_version

EPOCH = dt.date(2020, 1, 1)
_BATCH = 2000


def trending_score(upvotes: int, comments: int, day: dt.date | None, settings: Settings) -> float:
    """The stored score of a paper with these counts that entered the feed on ``day``."""
    votes = max(0, upvotes) + settings.trending_comment_weight * max(0, comments)
    hours = (day - EPOCH).days * 24 if day is not None else 0
    return math.log2(1 + votes) + hours / settings.trending_half_life_hours


def _score_expr(settings: Settings, upvotes=Paper.upvotes, comments=Paper.num_comments):  # type: ignore[no-untyped-def]
    """``trending_score`` as one SQL expression over the paper's row (or new counts) and feed
    entry."""
    feed_day = select(FeedEntry.feed_date).where(FeedEntry.paper_id == Paper.id).scalar_subquery()
    day = func.coalesce(feed_day, Paper.published_on)
    if settings.is_sqlite:
        days = func.julianday(day) - func.julianday(EPOCH.isoformat())
    else:
        days = day - literal(EPOCH, Date)  # date - date is a number of days on PostgreSQL
    total = 1 + upvotes + settings.trending_comment_weight * comments
    votes = func.ln(case((total < 1, 1), else_=total)) / math.log(2)
    return votes + func.coalesce(days, 0) * (24.0 / settings.trending_half_life_hours)


def move_counts(
    session: Session, settings: Settings, paper_id: str, *, votes: int = 0, comments: int = 0
) -> tuple[int, int]:
    """Move a paper's vote and comment counters by the given deltas and re-score it, in one
    atomic ``UPDATE`` (call in the writing transaction); returns the new (upvotes, comments).

    The new values are computed from the row as the database holds it under its write lock,
    so concurrent calls never lose an increment nor write a stale score.
    """
    new_votes, new_comments = Paper.upvotes + votes, Paper.num_comments + comments
    values = {"upvotes": new_votes, "num_comments": new_comments}
    sql = _sql_math(settings.sqlalchemy_url)
    if sql:
        values["trending_score"] = _score_expr(settings, new_votes, new_comments)
    stmt = update(Paper).where(Paper.id == paper_id).values(values)
    row = session.execute(stmt.returning(Paper.upvotes, Paper.num_comments)).one()
    if sql:
        bump_data_version(session)  # cached feed/API lists show the new counts at once
    else:
        refresh_scores(session, settings, [paper_id])  # bumps it too
    return int(row[0]), int(row[1])


@lru_cache(maxsize=8)
def _sql_math(url: str) -> bool:
    """Whether the database has ``ln`` (SQLite only when built with its math functions)."""
    from dailypapers.store.db import make_engine

    if not url.startswith("sqlite"):
        return True
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT ln(2)"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def refresh_scores(
    session: Session, settings: Settings, paper_ids: Iterable[str] | None = None
) -> int:
    """Recompute the scores of ``paper_ids`` (all papers when None); returns how many rows.

    One ``UPDATE`` per 2,000 ids (a whole 75k-paper database takes well under a second on
    SQLite). Importers call it for the papers they changed; votes and comments for theirs.
    Bumps the data version: cached feed/API lists show the new scores at once.
    """
    bump_data_version(session)
    ids = None if paper_ids is None else list(dict.fromkeys(paper_ids))
    if not _sql_math(settings.sqlalchemy_url):
        return _refresh_in_python(session, settings, ids)
    stmt = update(Paper).values(trending_score=_score_expr(settings))
    if ids is None:
        return rowcount(session.execute(stmt))
    done = 0
    for i in range(0, len(ids), _BATCH):
        done += rowcount(session.execute(stmt.where(Paper.id.in_(ids[i : i + _BATCH]))))
    return done


# --- fallback for SQLite builds without math functions -------------------------------------------
def _rows(session: Session, ids: list[str] | None):  # type: ignore[no-untyped-def]
    query = select(
        Paper.id, Paper.upvotes, Paper.num_comments, FeedEntry.feed_date, Paper.published_on,
    ).outerjoin(FeedEntry, FeedEntry.paper_id == Paper.id)  # fmt: skip
    if ids is not None:
        query = query.where(Paper.id.in_(ids))
    return session.execute(query)


def _refresh_in_python(session: Session, settings: Settings, ids: list[str] | None) -> int:
    scores: dict[str, float] = {}
    chunks = [None] if ids is None else [ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH)]
    for chunk in chunks:
        for pid, votes, comments, feed_day, published in _rows(session, chunk):
            scores[pid] = trending_score(votes or 0, comments or 0, feed_day or published, settings)
    _write(session, scores)
    return len(scores)


def _write(session: Session, scores: dict[str, float]) -> None:
    if not scores:
        return
    table = table_of(Paper)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(trending_score=bindparam("_score"))
    )
    params = [{"_id": pid, "_score": score} for pid, score in scores.items()]
    for i in range(0, len(params), _BATCH):
        session.connection().execute(stmt, params[i : i + _BATCH])
