"""Reads of the personal library: marks for list pages, library pages, signals for ranking.

List pages ask "which of these N papers has user U upvoted, saved, read" with
:func:`marks_for`: one ``UNION ALL`` query over three ``(user_id, paper_id)`` primary keys,
whatever the page size and however large the user's library. Library pages run a constant
number of queries (ids of the page, count, papers, tags, collections, read marks).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from dailypapers.store.models import FeedEntry, Paper, Upvote
from dailypapers.store.models_library import (
    Collection,
    CollectionPaper,
    Follow,
    LibraryPrefs,
    PaperTag,
    PendingImport,
    ReadMark,
    SavedPaper,
)
from dailypapers.store.queries.papers import FeedItem, papers_by_ids

LibrarySort = Literal["saved", "published", "upvotes"]
LIBRARY_SORTS: tuple[str, ...] = ("saved", "published", "upvotes")
ReadFilter = Literal["read", "unread"] | None
_CHUNK = 900  # ids per IN list (SQLite allows 32k parameters; keep statements small)


@dataclass(frozen=True, slots=True)
class PaperMarks:
    """What the current user did with the papers of one list page (and their hide-read switch)."""

    upvoted: frozenset[str] = frozenset()
    saved: frozenset[str] = frozenset()
    read: frozenset[str] = frozenset()
    hide_read: bool = False


EMPTY_MARKS = PaperMarks()
_PREFS_ROW = "~hide_read"  # cannot be a paper id


def marks_for(
    session: Session, user_id: int, paper_ids: Iterable[str], *, with_prefs: bool = False
) -> PaperMarks:
    """Which of ``paper_ids`` the user upvoted, saved and read: one query (per 900 ids), which
    also reads the user's hide-read switch when ``with_prefs``."""
    ids = list(dict.fromkeys(paper_ids))
    if not ids and not with_prefs:
        return EMPTY_MARKS
    found: dict[str, set[str]] = {"u": set(), "s": set(), "r": set(), "h": set()}
    for number, start in enumerate(range(0, max(len(ids), 1), _CHUNK)):
        chunk = ids[start : start + _CHUNK]
        parts = [
            select(table.paper_id, literal(tag)).where(
                table.user_id == user_id, table.paper_id.in_(chunk)
            )
            for table, tag in ((Upvote, "u"), (SavedPaper, "s"), (ReadMark, "r"))
        ]
        if with_prefs and number == 0:
            parts.append(
                select(literal(_PREFS_ROW), literal("h")).where(
                    LibraryPrefs.user_id == user_id, LibraryPrefs.hide_read.is_(True)
                )
            )
        for paper_id, tag in session.execute(union_all(*parts)):
            found[tag].add(paper_id)
    return PaperMarks(
        frozenset(found["u"]), frozenset(found["s"]), frozenset(found["r"]), bool(found["h"])
    )


def saved_ids(session: Session, user_id: int, paper_ids: Iterable[str]) -> set[str]:
    """Which of ``paper_ids`` are in the user's library (one query)."""
    return set(marks_for(session, user_id, paper_ids).saved)


def read_ids(session: Session, user_id: int, paper_ids: Iterable[str]) -> set[str]:
    """Which of ``paper_ids`` the user has read (one query)."""
    return set(marks_for(session, user_id, paper_ids).read)


# --- library pages -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LibraryItem:
    """A saved paper as library lists show it."""

    item: FeedItem
    saved_at: dt.datetime
    note: str
    note_format: str
    tags: list[str]
    collections: list[tuple[str, str]]  # (slug, name)
    read: bool

    @property
    def paper(self):  # type: ignore[no-untyped-def]  # the PaperView, as list partials expect
        return self.item.paper


@dataclass(slots=True)
class LibraryFilter:
    """What a library page or ``GET /api/me/library`` asks for."""

    collection_id: int | None = None
    tag: str | None = None
    read: ReadFilter = None
    only_ids: list[str] | None = None  # results of a search inside the library
    sort: str = "saved"
    page: int = 1
    limit: int = 50
    extra: dict[str, str] = field(default_factory=dict)


def _filtered(user_id: int, f: LibraryFilter) -> Select:
    stmt = select(SavedPaper.paper_id).where(SavedPaper.user_id == user_id)
    if f.collection_id is not None:
        stmt = stmt.where(
            SavedPaper.paper_id.in_(
                select(CollectionPaper.paper_id).where(
                    CollectionPaper.collection_id == f.collection_id
                )
            )
        )
    if f.tag:
        stmt = stmt.where(
            SavedPaper.paper_id.in_(
                select(PaperTag.paper_id).where(
                    PaperTag.user_id == user_id, func.lower(PaperTag.tag) == f.tag.lower()
                )
            )
        )
    if f.read is not None:
        was_read = SavedPaper.paper_id.in_(
            select(ReadMark.paper_id).where(ReadMark.user_id == user_id)
        )
        stmt = stmt.where(was_read if f.read == "read" else ~was_read)
    if f.only_ids is not None:
        stmt = stmt.where(SavedPaper.paper_id.in_(f.only_ids[:5000]))
    return stmt


def _ordered(stmt: Select, sort: str) -> Select:
    if sort == "published":
        stmt = stmt.join(Paper, Paper.id == SavedPaper.paper_id)
        return stmt.order_by(Paper.published_on.desc().nulls_last(), Paper.id.desc())
    if sort == "upvotes":
        stmt = stmt.join(Paper, Paper.id == SavedPaper.paper_id)
        return stmt.order_by(Paper.upvotes.desc(), Paper.id.desc())
    return stmt.order_by(SavedPaper.saved_at.desc(), SavedPaper.paper_id.desc())


def library_page(session: Session, user_id: int, f: LibraryFilter) -> tuple[list[LibraryItem], int]:
    """One page of the user's library and the number of matching saved papers."""
    if f.sort not in LIBRARY_SORTS:
        raise ValueError(f"sort is one of {', '.join(LIBRARY_SORTS)}")
    base = _filtered(user_id, f)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = _ordered(base, f.sort).limit(f.limit).offset((f.page - 1) * f.limit)
    ids = list(session.scalars(stmt))
    return library_items(session, user_id, ids), total


def library_items(session: Session, user_id: int, ids: Sequence[str]) -> list[LibraryItem]:
    """Saved papers with their notes, tags, collections and read state (four queries)."""
    if not ids:
        return []
    papers = {it.paper.id: it for it in papers_by_ids(session, ids)}
    saves = {
        r.paper_id: r
        for r in session.scalars(
            select(SavedPaper).where(SavedPaper.user_id == user_id, SavedPaper.paper_id.in_(ids))
        )
    }
    tags: dict[str, list[str]] = defaultdict(list)
    for pid, tag in session.execute(
        select(PaperTag.paper_id, PaperTag.tag)
        .where(PaperTag.user_id == user_id, PaperTag.paper_id.in_(ids))
        .order_by(PaperTag.tag)
    ):
        tags[pid].append(tag)
    cols: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = session.execute(
        select(CollectionPaper.paper_id, Collection.slug, Collection.name, literal("c"))
        .join(Collection, Collection.id == CollectionPaper.collection_id)
        .where(CollectionPaper.user_id == user_id, CollectionPaper.paper_id.in_(ids))
        .union_all(
            select(ReadMark.paper_id, literal(""), literal(""), literal("r")).where(
                ReadMark.user_id == user_id, ReadMark.paper_id.in_(ids)
            )
        )
    )
    read: set[str] = set()
    for pid, slug, name, kind in rows:
        if kind == "r":
            read.add(pid)
        else:
            cols[pid].append((slug, name))
    return [
        LibraryItem(
            papers[pid],
            saves[pid].saved_at,
            saves[pid].note,
            saves[pid].note_format,
            sorted(tags[pid], key=str.lower),
            sorted(cols[pid], key=lambda c: c[1].lower()),
            pid in read,
        )
        for pid in ids
        if pid in papers and pid in saves
    ]


def all_saved_ids(session: Session, user_id: int, collection_id: int | None = None) -> list[str]:
    """Every saved paper id of the user (or of one collection), newest save first."""
    f = LibraryFilter(collection_id=collection_id)
    return list(session.scalars(_ordered(_filtered(user_id, f), "saved")))


def collection_counts(session: Session, user_id: int) -> dict[int, int]:
    """Papers per collection of the user (one query)."""
    rows = session.execute(
        select(CollectionPaper.collection_id, func.count())
        .where(CollectionPaper.user_id == user_id)
        .group_by(CollectionPaper.collection_id)
    )
    return {int(cid): int(n) for cid, n in rows}


def tag_counts(session: Session, user_id: int) -> list[tuple[str, int]]:
    """The user's tags with how many papers carry each, commonest first."""
    rows = session.execute(
        select(PaperTag.tag, func.count())
        .where(PaperTag.user_id == user_id)
        .group_by(PaperTag.tag)
        .order_by(func.count().desc(), PaperTag.tag)
    )
    return [(str(t), int(n)) for t, n in rows]


def library_size(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).where(SavedPaper.user_id == user_id)) or 0


def pending_imports(session: Session, user_id: int) -> list[PendingImport]:
    """Imported arXiv ids waiting to be fetched, oldest first."""
    return list(
        session.scalars(
            select(PendingImport)
            .where(PendingImport.user_id == user_id)
            .order_by(PendingImport.created_at, PendingImport.arxiv_id)
        )
    )


def public_collections(session: Session, user_id: int) -> list[Collection]:
    return list(
        session.scalars(
            select(Collection)
            .where(Collection.user_id == user_id, Collection.is_public.is_(True))
            .order_by(func.lower(Collection.name))
        )
    )


# --- signals for ranking (the "For you" issue) ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class Signals:
    """Everything a personal ranker reads about one user, each with its time."""

    saved: list[tuple[str, dt.datetime]]
    upvoted: list[tuple[str, dt.datetime]]
    read: list[tuple[str, dt.datetime]]
    follows: list[tuple[str, str]]  # (kind, value)


def user_signals(session: Session, user_id: int) -> Signals:
    """A user's saves, upvotes, read marks and follows (four index range scans)."""

    def pairs(stmt: Select) -> list[tuple[str, dt.datetime]]:
        return [(str(a), b) for a, b in session.execute(stmt)]

    return Signals(
        pairs(
            select(SavedPaper.paper_id, SavedPaper.saved_at).where(SavedPaper.user_id == user_id)
        ),
        pairs(select(Upvote.paper_id, Upvote.created_at).where(Upvote.user_id == user_id)),
        pairs(select(ReadMark.paper_id, ReadMark.read_at).where(ReadMark.user_id == user_id)),
        [
            (k, v)
            for k, v in session.execute(
                select(Follow.kind, Follow.value).where(Follow.user_id == user_id)
            )
        ],
    )


def feed_dates(session: Session, paper_ids: Sequence[str]) -> dict[str, dt.date]:
    """Feed dates of papers (for Atom entries of collections and follows)."""
    if not paper_ids:
        return {}
    rows = session.execute(
        select(FeedEntry.paper_id, FeedEntry.feed_date).where(
            FeedEntry.paper_id.in_(list(paper_ids))
        )
    )
    return {str(p): d for p, d in rows}


def follow_keys(session: Session, user_id: int) -> set[tuple[str, str]]:
    """``(kind, key)`` of every follow of the user (one query; for follow buttons)."""
    rows = session.execute(select(Follow.kind, Follow.key).where(Follow.user_id == user_id))
    return {(str(k), str(v)) for k, v in rows}


def follows_of(session: Session, user_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """``(kind, value)`` of the follows of many users in one query (digests, channel alerts)."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for start in range(0, len(user_ids), _CHUNK):
        rows = session.execute(
            select(Follow.user_id, Follow.kind, Follow.value)
            .where(Follow.user_id.in_(list(user_ids[start : start + _CHUNK])))
            .order_by(Follow.user_id, Follow.kind, Follow.key)
        )
        for uid, kind, value in rows:
            found[int(uid)].append((str(kind), str(value)))
    return dict(found)
