"""A user's "For you" list from the database: read signals and papers, then ``rank``.

Nothing here outlives the call except ``COUNTS``, an LRU of hashed term counts keyed by a
paper's id and text: paper data, never a user's, so forgetting stays exact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sqlalchemy.orm import Session

from dailypapers.foryou import lexical
from dailypapers.foryou.ranker import RankerConfig, Scored, rank
from dailypapers.foryou.rules import PaperMeta
from dailypapers.foryou.signals import Follow, PaperSignal, Rule, Signals
from dailypapers.foryou.space import PaperSpace, background_sample
from dailypapers.search import contract_for
from dailypapers.store.queries import foryou as q
from dailypapers.store.queries.papers import FeedItem, papers_by_ids

POOL_SAMPLE = 4000  # the ranker draws background and reference papers from this many


class CountsCache:
    """Hashed term counts of papers, keyed by ``(id, hash of title and abstract)``.

    Rows are kept as (indices, counts) arrays, so a request's matrix is one concatenation.
    """

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._rows: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def counts(self, rows: Sequence[q.PaperRow]) -> sp.csr_matrix:
        keys = [(r.id, _text_key(r)) for r in rows]
        with self._lock:
            found = {k: self._rows[k] for k in keys if k in self._rows}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = lexical.counts([_text(rows[i]) for i in missing])
            with self._lock:
                for j, i in enumerate(missing):
                    start, end = fresh.indptr[j], fresh.indptr[j + 1]
                    part = (fresh.indices[start:end].copy(), fresh.data[start:end].copy())
                    found[keys[i]] = self._rows[keys[i]] = part
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        parts = [found[k] for k in keys]
        indptr = np.concatenate([[0], np.cumsum([len(p[0]) for p in parts])]).astype(np.int64)
        indices = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        data = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(keys), lexical.N_FEATURES))


COUNTS = CountsCache()


def _text(row: q.PaperRow) -> str:
    return " ".join(f"{row.title}. {row.abstract}".split())


def _text_key(row: q.PaperRow) -> str:
    return hashlib.sha1(_text(row).encode(), usedforsecurity=False).hexdigest()[:16]


def signals_from_rows(rows: q.SignalRows) -> Signals:
    """The ranker's ``Signals`` from stored rows (sorted, so row order never matters)."""
    return Signals(
        papers=tuple(PaperSignal(p, k, at) for p, k, at in sorted(rows.papers)),
        follows=tuple(Follow(k, v, at) for k, v, at in sorted(rows.follows)),
        rules=tuple(Rule(a, text) for a, text in rows.rules),
    )


def load_signals(session: Session, user_id: int) -> Signals:
    """Every current signal of a user."""
    return signals_from_rows(q.signal_rows(session, user_id))


def _vector(blob: bytes | None, dim: int) -> np.ndarray:
    if blob is None or len(blob) != 2 * dim:
        return np.zeros(dim, np.float32)
    vec = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


def build_space(rows: Sequence[q.PaperRow], dim: int, cache: CountsCache = COUNTS) -> PaperSpace:
    """A ``PaperSpace`` over stored papers (a paper without a vector gets a zero row)."""
    vectors = np.stack([_vector(r.vector, dim) for r in rows]) if rows else np.zeros((0, dim))
    meta = [PaperMeta(title=r.title, abstract=r.abstract, authors=tuple(r.authors),
                      organization=r.organization, categories=tuple(r.categories),
                      published_on=r.published_on, has_code=r.has_code) for r in rows]  # fmt: skip
    return PaperSpace(
        ids=[r.id for r in rows], vectors=np.asarray(vectors, np.float32),
        counts=cache.counts(rows), meta=meta,
        popularity=np.asarray([r.popularity for r in rows], dtype=float),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ranking:
    """Ranked papers of a window for one user; ``cold`` when the user has no signal at all."""

    items: list[Scored]
    cold: bool


_POOLS: dict[tuple, list[str]] = {}
_POOLS_LOCK = threading.Lock()


def pool_sample(session: Session, contract: str, seed: int) -> list[str]:
    """The fixed-seed sample of papers with vectors that backgrounds are drawn from.

    Kept per process while the set of vectors is unchanged (paper data, no user's): the key
    is the vectors' count and newest write, so every process draws the same sample.
    """
    key = (contract, seed, *q.vector_stamp(session, contract))
    with _POOLS_LOCK:
        found = _POOLS.get(key)
    if found is None:
        found = background_sample(q.vector_ids(session, contract), POOL_SAMPLE, seed)
        with _POOLS_LOCK:
            _POOLS.clear()
            _POOLS[key] = found
    return found


def rank_papers(
    session: Session,
    signals: Signals,
    candidates: Sequence[str],
    *,
    contract: str,
    dim: int,
    as_of: dt.date,
    config: RankerConfig | None = None,
) -> list[Scored]:
    """Rank stored ``candidates`` for ``signals`` (reads papers, vectors; writes nothing)."""
    cfg = config or RankerConfig()
    pool = pool_sample(session, contract, cfg.seed)
    signal_ids = [s.paper_id for s in signals.papers]
    rows = q.paper_rows(session, [*candidates, *pool, *signal_ids], contract)
    space = build_space(rows, dim)
    return rank(signals, space, candidates, pool=pool, as_of=as_of, config=cfg)


def for_user(
    session: Session,
    user_id: int,
    start: dt.date,
    end: dt.date,
    *,
    contract: str,
    dim: int,
    config: RankerConfig | None = None,
) -> Ranking:
    """The user's ranking of the feed from ``start`` to ``end``; ages count to ``end``."""
    signals = load_signals(session, user_id)
    candidates = q.window_paper_ids(session, start, end)
    items = rank_papers(session, signals, candidates, contract=contract, dim=dim, as_of=end,
                        config=config)  # fmt: skip
    return Ranking(items, cold=signals.empty)


@dataclass(frozen=True, slots=True)
class Entry:
    """A list entry of "For you": the paper as lists show it, its score and reasons."""

    item: FeedItem
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a user's ranked window; ``total`` counts every ranked paper."""

    entries: list[Entry]
    total: int
    cold: bool


def page(
    session: Session,
    user_id: int,
    start: dt.date,
    end: dt.date,
    *,
    model: str,
    offset: int = 0,
    limit: int = 50,
    config: RankerConfig | None = None,
) -> Page:
    """A page of the user's ranking of the feed from ``start`` to ``end``."""
    contract = contract_for(model)
    ranking = for_user(session, user_id, start, end, contract=contract.key, dim=contract.dim,
                       config=config)  # fmt: skip
    chosen = ranking.items[offset : offset + limit]
    items = {i.paper.id: i for i in papers_by_ids(session, [s.paper_id for s in chosen])}
    entries = [Entry(items[s.paper_id], s.score, s.reasons) for s in chosen if s.paper_id in items]
    return Page(entries, len(ranking.items), ranking.cold)
