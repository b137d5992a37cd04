"""Reads of "For you": a user's signals, the papers of a window and the papers' vectors.

The ranker (``dailypapers.foryou``) turns these plain rows into its values; every signal kind
is one index range scan keyed by ``user_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, func, literal_column, select, type_coerce, union_all
from sqlalchemy.orm import Session

from dailypapers.store.models import (
    FeedEntry,
    Paper,
    PaperTerms,
    PaperVector,
    Upvote,
    table_of,
)
from dailypapers.store.models_foryou import FeedToken, ForYouRule, NotInterested
from dailypapers.store.models_library import Follow, SavedPaper, SubscriptionLink

_P, _F, _V = table_of(Paper).c, table_of(FeedEntry).c, table_of(PaperVector).c
_T = table_of(PaperTerms).c
CHUNK = 900  # ids per IN (…) list: below SQLite's default host-parameter limit


@dataclass(slots=True)
class SignalRows:
    """One user's signals as rows: ``(paper_id, kind, at)``, ``(kind, value, at)`` follows and
    ``(action, query)`` rules."""

    papers: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    follows: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PaperRow:
    """What the ranker needs of a paper: text, metadata, popularity and its vector (or None)."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    organization: str | None
    categories: list[str]
    published_on: dt.date | None
    has_code: bool
    popularity: float
    vector: bytes | None
    terms: StoredTerms | None = None  # hashed term counts, if stored (``foryou.terms``)


@dataclass(frozen=True, slots=True)
class StoredTerms:
    """A paper's stored term counts as read: the text key they were made from, and the two
    encoded arrays."""

    text_key: str
    terms: bytes
    counts: bytes


def _raw(column: Any) -> Any:
    """A timestamp column read without SQLAlchemy's per-row parsing (on SQLite a regular
    expression per value, ~10 µs: most of the cost of reading 1,000 signals); ``_when``
    converts it."""
    return type_coerce(column, String)


def _when(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def signal_rows(session: Session, user_id: int) -> SignalRows:
    """Saves, upvotes, "not interested" marks, follows and rules of a user: one query for the
    paper signals, one for follows, one for rules."""
    out = SignalRows()
    saves = select(SavedPaper.paper_id, SavedPaper.source, _raw(SavedPaper.saved_at)).where(
        SavedPaper.user_id == user_id
    )
    upvotes = select(Upvote.paper_id, literal_column("'+upvote'"), _raw(Upvote.created_at))
    negatives = select(
        NotInterested.paper_id, literal_column("'+not_interested'"), _raw(NotInterested.created_at)
    )
    query = union_all(saves, upvotes.where(Upvote.user_id == user_id),
                      negatives.where(NotInterested.user_id == user_id))  # fmt: skip
    kinds = {"+upvote": "upvote", "+not_interested": "not_interested", "import": "import"}
    # "+kind" marks the upvote and negative rows; a save's marker is its source
    out.papers = [(str(paper), kinds.get(marker, "save"), _when(at))
                  for paper, marker, at in session.execute(query).all()]  # fmt: skip
    follows = select(Follow.kind, Follow.value, _raw(Follow.created_at)).where(
        Follow.user_id == user_id
    )
    out.follows = [(str(k), str(v), _when(at)) for k, v, at in session.execute(follows).all()]
    rules = select(ForYouRule.action, ForYouRule.query).where(ForYouRule.user_id == user_id)
    out.rules = [(str(a), str(q)) for a, q in session.execute(rules.order_by(ForYouRule.id))]
    return out


def rules_of(session: Session, user_id: int) -> list[ForYouRule]:
    """A user's rules, oldest first (for the settings list)."""
    stmt = select(ForYouRule).where(ForYouRule.user_id == user_id).order_by(ForYouRule.id)
    return list(session.scalars(stmt))


def not_interested_ids(session: Session, user_id: int, paper_ids: Sequence[str]) -> set[str]:
    """Which of ``paper_ids`` the user marked "not interested"."""
    found: set[str] = set()
    for at in range(0, len(paper_ids), CHUNK):
        chunk = list(paper_ids[at : at + CHUNK])
        stmt = select(NotInterested.paper_id).where(
            NotInterested.user_id == user_id, NotInterested.paper_id.in_(chunk)
        )
        found.update(str(p) for p in session.scalars(stmt))
    return found


def window_paper_ids(session: Session, start: dt.date, end: dt.date) -> list[str]:
    """Ids of the feed entries from ``start`` to ``end`` (inclusive)."""
    stmt = select(_F.paper_id).where(_F.feed_date >= start, _F.feed_date <= end)
    return sorted(str(p) for p in session.scalars(stmt))


def vector_ids(session: Session, contract: str) -> list[str]:
    """Ids of every paper with a vector under ``contract`` (the ranker's background pool)."""
    stmt = select(_V.paper_id).where(_V.contract == contract).order_by(_V.paper_id)
    return [str(p) for p in session.scalars(stmt)]


def paper_stamp(session: Session) -> str:
    """A fingerprint of the papers' data the ranker reads (texts, metadata, vectors): counts
    and newest writes of papers and vectors, from their indexes in one query (under 1 ms)."""
    vectors = table_of(PaperVector)
    parts = (
        select(func.count()).select_from(table_of(Paper)).scalar_subquery(),
        select(func.max(_P.updated_at)).scalar_subquery(),
        select(func.count()).select_from(vectors).scalar_subquery(),
        select(func.max(_V.updated_at)).scalar_subquery(),
    )
    return "|".join(str(v) for v in session.execute(select(*parts)).one())


def trending_scores(session: Session, ids: Sequence[str]) -> dict[str, float]:
    """Current trending scores of ``ids`` (popularity changes without a new paper stamp)."""
    out: dict[str, float] = {}
    wanted = sorted(set(ids))
    for at in range(0, len(wanted), CHUNK):
        stmt = select(_P.id, _P.trending_score).where(_P.id.in_(wanted[at : at + CHUNK]))
        out.update((str(i), float(s or 0.0)) for i, s in session.execute(stmt))
    return out


def paper_rows(session: Session, ids: Sequence[str], contract: str) -> list[PaperRow]:
    """Papers of ``ids`` with their vector under ``contract`` and their stored term counts
    (one query per 900 ids)."""
    out: list[PaperRow] = []
    wanted = sorted(set(ids))
    columns = (_P.id, _P.title, _P.abstract, _P.authors, _P.organization, _P.categories,
               _P.published_on, _P.github_repo, _P.trending_score, _V.vector, _T.text_key,
               _T.terms, _T.counts)  # fmt: skip
    joined = (
        table_of(Paper)
        .outerjoin(table_of(PaperVector), (_V.paper_id == _P.id) & (_V.contract == contract))
        .outerjoin(table_of(PaperTerms), _T.paper_id == _P.id)
    )
    for at in range(0, len(wanted), CHUNK):
        stmt = select(*columns).select_from(joined).where(_P.id.in_(wanted[at : at + CHUNK]))
        for row in session.execute(stmt):
            out.append(PaperRow(
                id=str(row.id), title=row.title, abstract=row.abstract or "",
                authors=list(row.authors or []), organization=row.organization,
                categories=list(row.categories or []), published_on=row.published_on,
                has_code=bool(row.github_repo), popularity=float(row.trending_score or 0.0),
                vector=bytes(row.vector) if row.vector is not None else None,
                terms=None if row.text_key is None else StoredTerms(
                    row.text_key, bytes(row.terms), bytes(row.counts)),
            ))  # fmt: skip
    out.sort(key=lambda r: r.id)
    return out


def linked_users(session: Session) -> dict[int, int]:
    """Subscription id → the account it is linked to, for every linked subscription."""
    stmt = select(SubscriptionLink.subscription_id, SubscriptionLink.user_id)
    return {int(s): int(u) for s, u in session.execute(stmt)}


def feed_token_owner(session: Session, token_hash: str) -> int | None:
    """The user whose private feed token has this hash, if any."""
    stmt = select(FeedToken.user_id).where(FeedToken.token_hash == token_hash)
    return session.scalar(stmt)


def has_feed_token(session: Session, user_id: int) -> bool:
    return session.get(FeedToken, user_id) is not None


@dataclass(frozen=True, slots=True)
class PaperText:
    """A paper's title and abstract, and the text key of its stored term counts (if any)."""

    id: str
    title: str
    abstract: str
    stored_key: str | None


def texts_for_terms(session: Session, ids: Sequence[str] | None, after: str = "",
                    limit: int = CHUNK) -> list[PaperText]:  # fmt: skip
    """Up to ``limit`` papers (of ``ids``, at most ``CHUNK`` of them, or all), by id after
    ``after``, whose term counts are missing or older than the paper (their text may have
    changed: the caller compares keys)."""
    stmt = (
        select(_P.id, _P.title, _P.abstract, _T.text_key)
        .select_from(table_of(Paper).outerjoin(table_of(PaperTerms), _T.paper_id == _P.id))
        .where(_P.id > after, (_T.paper_id.is_(None)) | (_T.updated_at < _P.updated_at))
        .order_by(_P.id)
        .limit(limit)
    )
    if ids is not None:
        stmt = stmt.where(_P.id.in_(sorted(set(ids))))
    return [PaperText(str(i), t or "", a or "", k) for i, t, a, k in session.execute(stmt)]
