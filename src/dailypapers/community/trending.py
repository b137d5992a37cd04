"""The trending score: exponential time decay of votes and comments, stored order-stable.

A paper's heat at time *now* is

    heat = (1 + upvotes + w · comments) · 2^(−age_hours / H)

where ``age_hours`` counts from its feed date (00:00 UTC), ``w`` is
``settings.trending_comment_weight`` and ``H`` is ``settings.trending_half_life_hours``: a
paper's votes count half after ``H`` hours. Taking log2 and dropping the term that depends on
*now* alone (identical for every paper) gives the stored score

    trending_score = log2(1 + upvotes + w · comments) + hours(feed_date − 2020-01-01) / H

which orders papers exactly as ``heat`` does at every instant. So the score never needs a
periodic recomputation: it changes only when the paper's votes or comments change, and that
update is one row, done in the transaction of the vote or comment. Sorting by the indexed
``papers.trending_score`` column is cheap at any size. With ``H = 24``, one day of age weighs
as much as doubling the votes: yesterday's paper with 15 votes ties today's with 7.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.store.models import FeedEntry, Paper

EPOCH = dt.date(2020, 1, 1)
_BATCH = 2000


def trending_score(
    upvotes: int, comments: int, day: dt.date | None, settings: Settings
) -> float:
    """The stored score of a paper with these counts that entered the feed on ``day``."""
    votes = max(0, upvotes) + settings.trending_comment_weight * max(0, comments)
    hours = (day - EPOCH).days * 24 if day is not None else 0
    return math.log2(1 + votes) + hours / settings.trending_half_life_hours


def _rows(session: Session, ids: list[str] | None):  # type: ignore[no-untyped-def]
    query = select(
        Paper.id, Paper.upvotes, Paper.num_comments, FeedEntry.feed_date, Paper.published_on,
        Paper.trending_score,
    ).outerjoin(FeedEntry, FeedEntry.paper_id == Paper.id)  # fmt: skip
    if ids is not None:
        query = query.where(Paper.id.in_(ids))
    return session.execute(query)


def refresh_paper(session: Session, settings: Settings, paper_id: str) -> float:
    """Recompute one paper's score (call in the transaction that changed its counts)."""
    return refresh_scores(session, settings, [paper_id]).get(paper_id, 0.0)


def refresh_scores(
    session: Session, settings: Settings, paper_ids: Iterable[str] | None = None
) -> dict[str, float]:
    """Recompute the scores of ``paper_ids`` (all papers when None); returns those that changed.

    Run it after imports (``dailypapers trending refresh``); votes and comments keep their own
    paper current.
    """
    ids = None if paper_ids is None else list(dict.fromkeys(paper_ids))
    changed: dict[str, float] = {}
    chunks = [None] if ids is None else [ids[i : i + _BATCH] for i in range(0, len(ids), _BATCH)]
    for chunk in chunks:
        for pid, votes, comments, feed_day, published, old in _rows(session, chunk):
            new = trending_score(votes or 0, comments or 0, feed_day or published, settings)
            if old is None or abs(new - old) > 1e-9:
                changed[pid] = new
    _write(session, changed)
    return changed


def _write(session: Session, scores: dict[str, float]) -> None:
    if not scores:
        return
    table = Paper.__table__
    stmt = update(table).where(table.c.id == bindparam("_id")).values(
        trending_score=bindparam("_score")
    )
    params = [{"_id": pid, "_score": score} for pid, score in scores.items()]
    for i in range(0, len(params), _BATCH):
        session.connection().execute(stmt, params[i : i + _BATCH])
