"""A user's "For you" list from the database: read signals and papers, then fit and score.

Per request only the user's signals, the window's paper ids and a one-query stamp of the
papers' data are read. What depends on papers alone is kept per process: ``PAPERS`` (vectors,
hashed term counts and metadata per paper, valid while the stamp is unchanged), ``COUNTS``
(term counts by text, surviving stamp changes) and the background pool. What depends on a
user is kept in ``memo.MEMO`` under a digest of the user's exact signal set, the
configuration and the papers' stamp, so a ranking is always the pure function of the current
signals that ``ranker.rank`` computes (``tests/test_foryou_memo.py`` compares them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.foryou import lexical, terms
from dailypapers.foryou.memo import MEMO
from dailypapers.foryou.memo import Entry as MemoEntry
from dailypapers.foryou.ranker import (
    Background,
    Model,
    Ranked,
    RankerConfig,
    Scored,
    background,
    explain_ranked,
    fit,
    label_key,
    score,
)
from dailypapers.foryou.rules import PaperMeta
from dailypapers.foryou.signals import Follow, PaperSignal, Rule, Signals
from dailypapers.foryou.space import PaperSpace, background_sample
from dailypapers.search import contract_for, paper_text
from dailypapers.store import db
from dailypapers.store.queries import foryou as q
from dailypapers.store.queries.feed import latest_feed_date
from dailypapers.store.queries.papers import FeedItem, papers_by_ids

POOL_SAMPLE = 4000  # the ranker draws background and reference papers from this many
WARM_WEEKS = 8  # start-up prepares the pool and this many latest weeks (~1,500 papers each)
log = logging.getLogger(__name__)


class CountsCache:
    """Hashed term counts of papers, keyed by ``(id, hash of title and abstract)``: the stored
    counts when they were made from the same text (``foryou.terms``), else hashed here.

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
        stored = {
            i: row.terms
            for i, row in enumerate(rows)
            if keys[i] not in found and row.terms and row.terms.text_key == keys[i][1]
        }
        if stored:
            with self._lock:
                for i, kept in stored.items():
                    found[keys[i]] = self._rows[keys[i]] = terms.decode(kept)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = lexical.counts([_text(rows[i]) for i in missing])
            with self._lock:
                for j, i in enumerate(missing):
                    start, end = fresh.indptr[j], fresh.indptr[j + 1]
                    part = (fresh.indices[start:end].copy(), fresh.data[start:end].copy())
                    found[keys[i]] = self._rows[keys[i]] = part
        if stored or missing:
            with self._lock:
                while len(self._rows) > self.size:
                    self._rows.popitem(last=False)
        parts = [found[k] for k in keys]
        indptr = np.concatenate([[0], np.cumsum([len(p[0]) for p in parts])]).astype(np.int64)
        indices = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        data = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.float32)
        return sp.csr_matrix((data, indices, indptr), shape=(len(keys), lexical.N_FEATURES))


COUNTS = CountsCache()


def _text(row: q.PaperRow) -> str:
    return paper_text(row.title, row.abstract)


def _text_key(row: q.PaperRow) -> str:
    return terms.text_key(row.title, row.abstract)


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


@dataclass(frozen=True, slots=True)
class _Paper:
    vector: np.ndarray
    counts: tuple[np.ndarray, np.ndarray]
    meta: PaperMeta
    popularity: float


def _space(ids: list[str], papers: list[_Paper], dim: int) -> PaperSpace:
    parts = [p.counts for p in papers]
    indptr = np.concatenate([[0], np.cumsum([len(c[0]) for c in parts])]).astype(np.int64)
    indices = np.concatenate([c[0] for c in parts]) if parts else np.zeros(0, np.int32)
    data = np.concatenate([c[1] for c in parts]) if parts else np.zeros(0, np.float32)
    vectors = np.stack([p.vector for p in papers]) if papers else np.zeros((0, dim), np.float32)
    return PaperSpace(
        ids=ids, vectors=np.asarray(vectors, np.float32),
        counts=sp.csr_matrix((data, indices, indptr), shape=(len(ids), lexical.N_FEATURES)),
        meta=[p.meta for p in papers],
        popularity=np.asarray([p.popularity for p in papers], dtype=float),
    )  # fmt: skip


def build_space(rows: Sequence[q.PaperRow], dim: int, cache: CountsCache = COUNTS) -> PaperSpace:
    """A ``PaperSpace`` over stored papers (a paper without a vector gets a zero row)."""
    papers = _prepare(rows, dim, cache)
    return _space([r.id for r in rows], papers, dim)


def _prepare(rows: Sequence[q.PaperRow], dim: int, cache: CountsCache) -> list[_Paper]:
    counts = cache.counts(rows)
    out = []
    for k, r in enumerate(rows):
        start, end = counts.indptr[k], counts.indptr[k + 1]
        meta = PaperMeta(title=r.title, abstract=r.abstract, authors=tuple(r.authors),
                         organization=r.organization, categories=tuple(r.categories),
                         published_on=r.published_on, has_code=r.has_code)  # fmt: skip
        out.append(_Paper(_vector(r.vector, dim),
                          (counts.indices[start:end].copy(), counts.data[start:end].copy()),
                          meta, r.popularity))  # fmt: skip
    return out


# Papers kept per process: each takes about 4 KB (vector, term counts, title and abstract), so
# 40,000 papers (a background pool, a few months of windows and some libraries) stay under
# ~160 MB. Paper data only, never a user's.
PAPER_CACHE_SIZE = 40_000


class PaperStore:
    """What the ranker needs of each paper, valid for one stamp of the papers' data (a write
    to papers or vectors changes the stamp and empties the store; ``COUNTS`` survives)."""

    def __init__(self, size: int = PAPER_CACHE_SIZE) -> None:
        self.size = size
        self._stamp: tuple = ()
        self._papers: OrderedDict[str, _Paper] = OrderedDict()
        self._lock = threading.Lock()

    def space(
        self, session: Session, ids: Sequence[str], *, contract: str, dim: int, stamp: tuple
    ) -> PaperSpace:
        """A ``PaperSpace`` of the stored papers among ``ids``, rows sorted by id."""
        wanted = sorted(set(ids))
        with self._lock:
            if self._stamp != stamp:
                self._stamp, self._papers = stamp, OrderedDict()
            found = {i: self._papers[i] for i in wanted if i in self._papers}
        missing = [i for i in wanted if i not in found]
        if missing:
            rows = q.paper_rows(session, missing, contract)
            fresh = dict(zip([r.id for r in rows], _prepare(rows, dim, COUNTS), strict=True))
            found.update(fresh)
            with self._lock:
                if self._stamp == stamp:
                    self._papers.update(fresh)
        with self._lock:
            for i in found:
                if i in self._papers:
                    self._papers.move_to_end(i)
            while len(self._papers) > self.size:
                self._papers.popitem(last=False)
        present = [i for i in wanted if i in found]
        return _space(present, [found[i] for i in present], dim)

    def clear(self) -> None:
        with self._lock:
            self._stamp, self._papers = (), OrderedDict()


PAPERS = PaperStore()


def stamp(session: Session, contract: str) -> tuple:
    """Which database, which vectors, and the papers' data stamp: the key of paper caches."""
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return (url, contract, q.paper_stamp(session))


_POOLS: dict[tuple, list[str]] = {}
_POOLS_LOCK = threading.Lock()


def pool_sample(session: Session, contract: str, seed: int, paper_stamp: tuple) -> list[str]:
    """The fixed-seed sample of papers with vectors that backgrounds are drawn from.

    Kept per process while the papers' stamp is unchanged (paper data, no user's); every
    process draws the same sample.
    """
    key = (seed, *paper_stamp)
    with _POOLS_LOCK:
        found = _POOLS.get(key)
    if found is None:
        found = background_sample(q.vector_ids(session, contract), POOL_SAMPLE, seed)
        with _POOLS_LOCK:
            _POOLS.clear()
            _POOLS[key] = found
    return found


_BACKGROUNDS: OrderedDict[tuple, Background] = OrderedDict()
_BACKGROUNDS_LOCK = threading.Lock()
BACKGROUNDS = 4  # configurations kept per process (the page's and the digest's are one)


def shared_background(
    session: Session, contract: str, dim: int, cfg: RankerConfig, paper_stamp: tuple
) -> Background:
    """The user-independent part of every fit (``ranker.Background``: samples of the pool,
    their vectors and tf-idf rows, the idf), built once per configuration and papers' stamp.
    Paper data only, no user's: a user's signal papers are left out of it at fit time."""
    key = (cfg, paper_stamp)
    with _BACKGROUNDS_LOCK:
        found = _BACKGROUNDS.get(key)
        if found is not None:
            _BACKGROUNDS.move_to_end(key)
            return found
    pool = pool_sample(session, contract, cfg.seed, paper_stamp)
    space = PAPERS.space(session, pool, contract=contract, dim=dim, stamp=paper_stamp)
    found = background(space, pool, cfg)
    with _BACKGROUNDS_LOCK:
        _BACKGROUNDS[key] = found
        while len(_BACKGROUNDS) > BACKGROUNDS:
            _BACKGROUNDS.popitem(last=False)
    return found


_WINDOWS: OrderedDict[tuple, PaperSpace] = OrderedDict()
_WINDOWS_LOCK = threading.Lock()
WINDOW_SPACES = 8  # windows' paper spaces kept per process (a digest run uses a few)


def window_space(
    session: Session, candidates: Sequence[str], digest: str, *, contract: str, dim: int,
    stamp: tuple,
) -> PaperSpace:  # fmt: skip
    """The ``PaperSpace`` of a window's papers (``digest`` names the candidate list), shared by
    the users ranking it, with its tf-idf rows under the shared background's idf (paper data
    only)."""
    key = (stamp, contract, digest)
    with _WINDOWS_LOCK:
        found = _WINDOWS.get(key)
        if found is not None:
            _WINDOWS.move_to_end(key)
            return found
    found = PAPERS.space(session, candidates, contract=contract, dim=dim, stamp=stamp)
    with _WINDOWS_LOCK:
        _WINDOWS[key] = found
        while len(_WINDOWS) > WINDOW_SPACES:
            _WINDOWS.popitem(last=False)
    return found


def signal_key(signals: Signals, cfg: RankerConfig, paper_stamp: tuple) -> tuple:
    """The memo key: the user's exact signal set, the configuration and the papers' stamp
    (plain values, compared in full: two keys are equal only for equal signal sets)."""
    return (cfg, paper_stamp, signals)


@dataclass(frozen=True, slots=True)
class Window:
    """A user's ranked window: the ranking (no reasons yet), the model that made it and what
    is needed to explain any slice of it."""

    ranked: Ranked
    model: Model
    signals: Signals
    config: RankerConfig
    stamp: tuple
    contract: str
    dim: int
    memo: MemoEntry | None = None  # where explained slices are kept (with the ranking)
    key: Hashable = None


def ranked_window(
    session: Session,
    user_id: int | None,
    signals: Signals,
    candidates: Sequence[str],
    *,
    contract: str,
    dim: int,
    as_of: dt.date,
    config: RankerConfig | None = None,
) -> Window:
    """Rank stored ``candidates`` for ``signals`` (reads papers, vectors; writes nothing).

    With a ``user_id`` the model and the ranking are memoised under the user's exact signal
    key (see ``memo``); the result is identical to ``ranker.rank`` over the same papers.
    """
    cfg = config or RankerConfig()
    paper_stamp = stamp(session, contract)
    key = signal_key(signals, cfg, paper_stamp)
    entry = MEMO.entry(user_id, key) if user_id is not None else MemoEntry(key)
    labels = entry.get("labels", as_of)
    if labels is None:
        labels = label_key(signals, as_of, cfg)
        entry.put("labels", as_of, labels)
    model = entry.get("model", labels)
    if model is None:
        shared = shared_background(session, contract, dim, cfg, paper_stamp)
        space = PAPERS.space(session, [s.paper_id for s in signals.papers], contract=contract,
                             dim=dim, stamp=paper_stamp)  # fmt: skip
        model = fit(signals, space, pool=(), as_of=as_of, config=cfg, shared=shared)
        entry.put("model", labels, model)
    digest = hashlib.sha1("\n".join(candidates).encode(), usedforsecurity=False).hexdigest()
    window_key = (labels, digest)
    ranked = entry.get("window", window_key) if model.has_positives else None
    if ranked is None:
        space = window_space(session, candidates, digest, contract=contract, dim=dim,
                             stamp=paper_stamp)  # fmt: skip
        if not model.has_positives:  # popularity ranks: read it fresh, it has no stamp
            fresh = q.trending_scores(session, space.ids)
            space = replace(space, popularity=np.asarray([fresh.get(i, 0.0) for i in space.ids],
                                                         dtype=float))  # fmt: skip
        ranked = score(signals, model, space, candidates, cfg)
        if model.has_positives:
            entry.put("window", window_key, ranked)
    kept = entry if model.has_positives else None
    return Window(ranked, model, signals, cfg, paper_stamp, contract, dim, kept, window_key)


def explained(session: Session, window: Window, start: int, end: int) -> list[Scored]:
    """Entries ``start:end`` of a ranked window, with their reasons (kept with the window)."""
    slice_key = (window.key, start, end)
    if window.memo is not None and (found := window.memo.get("page", slice_key)) is not None:
        return list(found)
    out = _explained(session, window, start, end)
    if window.memo is not None:
        window.memo.put("page", slice_key, tuple(out))
    return out


def _explained(session: Session, window: Window, start: int, end: int) -> list[Scored]:
    ids = window.ranked.ids[start:end]
    space = PAPERS.space(session, ids, contract=window.contract, dim=window.dim,
                         stamp=window.stamp)  # fmt: skip
    always = window.ranked.always[start:end]
    reasons = explain_ranked(window.signals, window.model, space, ids, always, window.config)
    scores = window.ranked.scores[start:end]
    return [Scored(i, s, r) for i, s, r in zip(ids, scores, reasons, strict=True)]


@dataclass(frozen=True, slots=True)
class Ranking:
    """Ranked papers of a window for one user; ``cold`` when the user has no signal at all."""

    items: list[Scored]
    cold: bool


def _window(
    session: Session, user_id: int, start: dt.date, end: dt.date, *, contract: str, dim: int,
    config: RankerConfig | None,
) -> Window:  # fmt: skip
    signals = load_signals(session, user_id)
    candidates = q.window_paper_ids(session, start, end)
    return ranked_window(session, user_id, signals, candidates, contract=contract, dim=dim,
                         as_of=end, config=config)  # fmt: skip


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
    """The user's ranking of the feed from ``start`` to ``end`` with reasons; ages count to
    ``end``."""
    window = _window(session, user_id, start, end, contract=contract, dim=dim, config=config)
    items = explained(session, window, 0, len(window.ranked.ids))
    return Ranking(items, cold=window.signals.empty)


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
    window = _window(session, user_id, start, end, contract=contract.key, dim=contract.dim,
                     config=config)  # fmt: skip
    chosen = explained(session, window, offset, offset + limit)
    items = {i.paper.id: i for i in papers_by_ids(session, [s.paper_id for s in chosen])}
    entries = [Entry(items[s.paper_id], s.score, s.reasons) for s in chosen if s.paper_id in items]
    return Page(entries, len(window.ranked.ids), window.signals.empty)


def warm_up(settings: Settings, weeks: int = WARM_WEEKS, chunk: int = 500) -> int:
    """Prepare ``PAPERS`` with the background pool and the latest ``weeks`` of the feed, and
    the shared background (paper data only), so that first views after a start do not hash
    texts. Each chunk of papers uses
    its own short session. Returns how many papers were prepared."""
    contract = contract_for(settings.embedding_model)
    with db.session_scope(settings) as session:
        paper_stamp = stamp(session, contract.key)
        ids = list(pool_sample(session, contract.key, RankerConfig().seed, paper_stamp))
        latest = latest_feed_date(session)
        if latest:
            ids += q.window_paper_ids(session, latest - dt.timedelta(days=7 * weeks + 6), latest)
    ids = sorted(set(ids))[: PAPERS.size]
    for at in range(0, len(ids), chunk):
        with db.session_scope(settings) as session:
            PAPERS.space(session, ids[at : at + chunk], contract=contract.key,
                         dim=contract.dim, stamp=paper_stamp)  # fmt: skip
    with db.session_scope(settings) as session:
        shared_background(session, contract.key, contract.dim, RankerConfig(), paper_stamp)
    return len(ids)


_WARMING: set[str] = set()  # names of the threads preparing papers now


def is_warm() -> bool:
    """False while a start-up warm-up is preparing papers (``/readyz`` waits for it)."""
    return not _WARMING


def start_warm_up(settings: Settings) -> threading.Thread:
    """``warm_up`` in a daemon thread; a failure is logged (requests then read what they need)."""

    def run() -> None:
        try:
            log.info("For you: %d papers prepared", warm_up(settings))
        except Exception:
            log.exception("For you warm-up failed; requests read the papers they need")
        finally:
            _WARMING.discard(thread.name)

    thread = threading.Thread(target=run, name=f"foryou-warm-up-{id(settings)}", daemon=True)
    _WARMING.add(thread.name)
    thread.start()
    return thread
