"""Read side of the daily feed: list, count and navigate windows of feed entries.

Every list is one SQL query over ``feed_entries`` joined to ``papers``; rows become the
``FeedItem`` view models of ``store.queries.papers`` that templates and serializers share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dailypapers.feed.windows import Window, WindowKind
from dailypapers.store.models import FeedEntry, Paper, table_of
from dailypapers.store.queries.papers import FeedItem, item_from_row, items_select

FeedSort = Literal["publishedAt", "trending", "upvotes"]
FEED_SORTS: tuple[str, ...] = ("publishedAt", "trending", "upvotes")
_P, _F = table_of(Paper).c, table_of(FeedEntry).c


@dataclass(frozen=True, slots=True)
class Neighbours:
    """The nearest earlier and later windows (same kind) that have papers, if any."""

    previous: Window | None
    next: Window | None


def _apply_filters(stmt: Select, window: Window | None, submitter: str | None) -> Select:
    if window is not None:
        stmt = stmt.where(_F.feed_date >= window.start, _F.feed_date <= window.end)
    if submitter:
        stmt = stmt.where(_F.submitter_name == submitter)
    return stmt


def _order(stmt: Select, sort: FeedSort) -> Select:
    if sort == "publishedAt":  # newest feed date first; paper id keeps pages stable
        return stmt.order_by(_F.feed_date.desc(), _F.paper_id.desc())
    # Single-column keys (plus id for stable pages) let the papers' indexes drive the scan.
    if sort == "trending":
        return stmt.order_by(_P.trending_score.desc(), _P.id.desc())
    if sort == "upvotes":
        return stmt.order_by(_P.upvotes.desc(), _P.id.desc())
    raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(FEED_SORTS)}")


# --- lists -------------------------------------------------------------------------------------
def list_feed(
    session: Session,
    window: Window | None = None,
    *,
    sort: FeedSort = "publishedAt",
    submitter: str | None = None,
    page: int = 0,
    limit: int = 50,
) -> list[FeedItem]:
    """One page of feed entries in ``window`` (all dates when None), in one query.

    ``sort``: ``publishedAt`` (feed date, newest first), ``trending`` (``trending_score``) or
    ``upvotes``. ``page`` counts from 0; ``limit`` entries per page.
    """
    if page < 0 or limit < 1:
        raise ValueError("page must be ≥ 0 and limit ≥ 1")
    stmt = items_select().select_from(table_of(FeedEntry).join(table_of(Paper)))
    stmt = _order(_apply_filters(stmt, window, submitter), sort)
    rows = session.execute(stmt.limit(limit).offset(page * limit))
    return [item_from_row(row) for row in rows]


def count_feed(
    session: Session, window: Window | None = None, *, submitter: str | None = None
) -> int:
    """How many feed entries ``window`` holds (one cheap query on the feed-date index)."""
    stmt = _apply_filters(select(func.count()).select_from(table_of(FeedEntry)), window, submitter)
    return int(session.execute(stmt).scalar_one())


# --- dates and windows -------------------------------------------------------------------------
def latest_feed_date(session: Session) -> dt.date | None:
    """The most recent feed date that has papers (None for an empty feed)."""
    return session.execute(select(func.max(_F.feed_date))).scalar_one()


def neighbours(session: Session, window: Window) -> Neighbours:
    """The nearest earlier and later windows of the same kind that hold papers (one query)."""
    before = select(func.max(_F.feed_date)).where(_F.feed_date < window.start).scalar_subquery()
    after = select(func.min(_F.feed_date)).where(_F.feed_date > window.end).scalar_subquery()
    prev_day, next_day = session.execute(select(before, after)).one()
    kind = window.kind
    if kind == "range":
        return Neighbours(None, None)
    return Neighbours(
        Window.containing(kind, prev_day) if prev_day else None,
        Window.containing(kind, next_day) if next_day else None,
    )


def utc_today() -> dt.date:
    """Today in UTC: feed dates are UTC days, whatever the server's time zone."""
    return dt.datetime.now(dt.UTC).date()


def default_window(
    session: Session, kind: WindowKind = "day", today: dt.date | None = None
) -> Window:
    """The window holding ``today`` when it has papers, else the one of the latest feed date."""
    today = today or utc_today()
    window = Window.containing(kind, today)
    if count_feed(session, window):
        return window
    latest = latest_feed_date(session)
    return Window.containing(kind, latest) if latest else window
