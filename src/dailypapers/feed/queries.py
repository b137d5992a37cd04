"""Read side of the daily feed: typed queries used by pages, the API, Atom feeds and digests.

Every list is one SQL query over ``feed_entries`` joined to ``papers`` (no per-row queries);
rows become light ``FeedItem`` view models that templates and serializers share. Writes live in
``dailypapers.store.papers``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Integer, Select, String, cast, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dailypapers.feed.windows import Window, WindowKind
from dailypapers.store.models import FeedEntry, Meta, Paper
from dailypapers.store.records import normalise_name, parse_arxiv_id

FeedSort = Literal["publishedAt", "trending", "upvotes"]
FEED_SORTS: tuple[str, ...] = ("publishedAt", "trending", "upvotes")
DATA_VERSION_KEY = "data_version"
_PG_SEQUENCE = "dailypapers_data_version"  # created by migration 0006

_TITLE_ID = re.compile(r"^t-[0-9a-f]{12}$")
_P, _F = Paper.__table__.c, FeedEntry.__table__.c
_PAPER_COLUMNS = (
    _P.id, _P.arxiv_id, _P.title, _P.abstract, _P.authors, _P.author_count, _P.categories,
    _P.published_on, _P.organization, _P.upvotes, _P.num_comments, _P.github_repo,
    _P.github_stars, _P.project_page, _P.pdf_url, _P.comment, _P.trending_score, _P.updated_at,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PaperView:
    """The fields of a paper that lists, pages and the API show."""

    id: str
    arxiv_id: str | None
    title: str
    abstract: str
    authors: list[str]
    author_count: int
    categories: list[str]
    published_on: dt.date | None
    organization: str | None
    upvotes: int
    num_comments: int
    github_repo: str | None
    github_stars: int | None
    project_page: str | None
    pdf_url: str | None
    comment: str | None
    trending_score: float
    updated_at: dt.datetime | None

    @property
    def has_code(self) -> bool:
        return bool(self.github_repo)

    @property
    def abs_url(self) -> str | None:
        """The arXiv abstract page, when the paper has an arXiv id."""
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def pdf_link(self) -> str | None:
        """The stored PDF link, else arXiv's PDF URL."""
        return self.pdf_url or (f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None)

    @property
    def org_slug(self) -> str | None:
        """``Google DeepMind`` → ``google-deepmind`` (organization URLs and the API's ``name``)."""
        return org_slug(self.organization) if self.organization else None

    @property
    def num_authors(self) -> int:
        return max(self.author_count or 0, len(self.authors))


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a list: the paper, the day it entered the feed and who submitted it."""

    paper: PaperView
    feed_date: dt.date | None
    submitter: str | None


@dataclass(frozen=True, slots=True)
class Neighbours:
    """The nearest earlier and later windows (same kind) that have papers, if any."""

    previous: Window | None
    next: Window | None


def org_slug(name: str) -> str:
    """An organization's URL name: accents stripped, lower case, runs of other signs as ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_name(name)).strip("-")


# --- ids ---------------------------------------------------------------------------------------
def normalise_paper_id(raw: str) -> str | None:
    """The stored id for ``2503.01234``, ``2503.01234v2``, ``arXiv:…``, an abs URL or ``t-…``.

    Returns None when the text cannot be a paper id (callers answer 404).
    """
    text = raw.strip()
    if _TITLE_ID.match(text.lower()):
        return text.lower()
    parsed = parse_arxiv_id(text)
    return parsed[0] if parsed else None


# --- rows → view models ------------------------------------------------------------------------
def _item(row: Sequence) -> FeedItem:
    values = list(row)
    paper = PaperView(*values[: len(_PAPER_COLUMNS)])
    return FeedItem(paper, values[-2], values[-1])


def _items_select() -> Select:
    return select(*_PAPER_COLUMNS, _F.feed_date, _F.submitter_name)


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
    stmt = _items_select().select_from(FeedEntry.__table__.join(Paper.__table__))
    stmt = _order(_apply_filters(stmt, window, submitter), sort)
    rows = session.execute(stmt.limit(limit).offset(page * limit))
    return [_item(row) for row in rows]


def count_feed(
    session: Session, window: Window | None = None, *, submitter: str | None = None
) -> int:
    """How many feed entries ``window`` holds (one cheap query on the feed-date index)."""
    stmt = _apply_filters(select(func.count()).select_from(FeedEntry.__table__), window, submitter)
    return int(session.execute(stmt).scalar_one())


def get_paper(session: Session, raw_id: str) -> FeedItem | None:
    """A paper by arXiv id (any version, ``arXiv:``/URL forms) or ``t-`` id, with its feed entry."""
    paper_id = normalise_paper_id(raw_id)
    if paper_id is None:
        return None
    found = papers_by_ids(session, [paper_id])
    return found[0] if found else None


def papers_by_ids(session: Session, ids: Iterable[str]) -> list[FeedItem]:
    """Papers for stored ids in the order given (missing ids are left out), in one query.

    Search and similar-papers use it to turn ranked ids into list entries.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    stmt = (
        _items_select()
        .select_from(Paper.__table__.outerjoin(FeedEntry.__table__))
        .where(_P.id.in_(wanted))
    )
    by_id = {item.paper.id: item for item in map(_item, session.execute(stmt))}
    return [by_id[pid] for pid in wanted if pid in by_id]


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


# --- cache invalidation ------------------------------------------------------------------------
def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def data_version(session: Session) -> str:
    """A fingerprint that changes whenever anything the feed shows changes (one cheap query).

    Parts: the explicit counter (``bump_data_version``), the newest ``papers.updated_at`` and
    the number of feed entries. On SQLite, sums of upvotes and trending scores read from their
    indexes (a few ms at 75k papers) also catch writers that do not bump the counter. On
    PostgreSQL those sums would scan the whole papers heap (over 100 ms), so its cumulative
    row-change statistics stand in for them: they move within about a second of any committed
    write to ``papers``.
    """
    parts = [
        select(func.max(_P.updated_at)).scalar_subquery(),
        select(func.count()).select_from(FeedEntry.__table__).scalar_subquery(),
    ]
    if _on_postgres(session):
        parts += [
            select(text("last_value + is_called::int"))  # a fresh sequence: 1, false
            .select_from(text(_PG_SEQUENCE))
            .scalar_subquery(),
            select(text("n_tup_ins + n_tup_upd + n_tup_del"))
            .select_from(text("pg_stat_all_tables"))
            .where(text("relid = 'papers'::regclass"))
            .scalar_subquery(),
        ]
    else:
        # Summed as whole thousandths: exact, so the text is the same in any scan order.
        parts += [
            select(Meta.value).where(Meta.key == DATA_VERSION_KEY).scalar_subquery(),
            select(func.sum(_P.upvotes)).scalar_subquery(),
            select(func.sum(func.round(_P.trending_score * 1000))).scalar_subquery(),
        ]
    return "|".join(str(v) for v in session.execute(select(*parts)).one())


_local_bumps = 0  # bumps made by this process: its own caches need not wait for the interval


def local_bumps() -> int:
    """How many times this process called ``bump_data_version`` (caches compare it)."""
    return _local_bumps


def bump_data_version(session: Session) -> None:
    """Mark the feed's data as changed so that every worker's caches refresh.

    Call it in a writing transaction that changes what lists show without touching
    ``papers.updated_at`` or adding feed entries (votes, comment counts, trending scores).
    On PostgreSQL it advances a sequence: no row lock, so concurrent writers never queue on it.
    Caches of this process re-check at their next request (a vote then shows at once on the
    page its voter is sent back to); other processes notice within their check interval.
    """
    global _local_bumps
    _local_bumps += 1
    if _on_postgres(session):
        session.execute(text(f"SELECT nextval('{_PG_SEQUENCE}')"))
        return
    counter = Meta.__table__
    stmt = sqlite_insert(counter).values(key=DATA_VERSION_KEY, value="1")
    bumped = cast(cast(counter.c.value, Integer) + 1, String)
    session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": bumped}))
