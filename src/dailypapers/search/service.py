"""The search service used by the API, pages, Atom feeds and digests.

``search(settings, session, SearchRequest(q="diffusion author:ho", sort="date"))`` parses the
query, runs the keyword and semantic engines over the local index, fuses them, pins an exact
arXiv id or title match first, sorts and pages, and returns the papers as feed items.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.search import hybrid
from dailypapers.search.embed import get_query_embedder
from dailypapers.search.engine import LocalIndex, get_index
from dailypapers.search.keyword import Ranking
from dailypapers.search.neighbours import keyword_terms
from dailypapers.search.query import ParsedQuery, QueryError, parse_query
from dailypapers.search.terms import term_of
from dailypapers.store.models import Paper
from dailypapers.store.queries.papers import FeedItem, papers_by_ids
from dailypapers.store.records import normalise_title, parse_arxiv_id

Sort = Literal["relevance", "date", "upvotes", "trending"]
Mode = Literal["hybrid", "keyword", "semantic"]
SORTS: tuple[str, ...] = ("relevance", "date", "upvotes", "trending")
MODES: tuple[str, ...] = ("hybrid", "keyword", "semantic")
MAX_LIMIT = 100
MAX_DEPTH = 1000  # results reachable by paging
MAX_LIKE_CHARS = 5000  # "similar to this text": a draft abstract and then some
LIKE_TERMS = 32  # key words of such a text given to BM25
SORT_POOL = 300  # the most relevant matches that date/upvote/trending sorts reorder
FILTER_SCAN = 20_000  # a filter matching fewer papers is searched exhaustively
SEMANTIC_DEPTH = 200  # semantic neighbours listed per query (keyword matches: up to MAX_DEPTH)
HYBRID_KEYWORD_DEPTH = 300  # keyword matches that hybrid fusion rescores
# Semantic neighbours less similar than this are noise for MiniLM-like models (unrelated
# abstracts score about 0 to 0.15).
MIN_SIMILARITY = 0.2
# No-match rule (see ``_nothing_matches``): chosen on the labelled and no-match queries.
COVERAGE_DEPTH = 20
MIN_COVERAGE = 0.5
FULL_COVERAGE = 0.75
NO_MATCH_SIMILARITY = 0.4
WEAK_SIMILARITY = 0.44
# A field has many papers near the query; an outside query only a few look-alikes: its
# SPREAD_RANK-th neighbour is under WEAK_SPREAD times as similar as its best one. Measured at
# 75k papers; a smaller collection may hold fewer than SPREAD_RANK papers of a real field.
SPREAD_RANK = 100
WEAK_SPREAD = 0.545
SPREAD_MIN_PAPERS = 50_000
WEAK_NOTE = "only weak matches: no paper is really about this query"
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search")


@dataclass
class SearchRequest:
    """What to search: query text (with its own filters) plus filters given as parameters."""

    q: str = ""
    authors: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    since: dt.date | None = None
    until: dt.date | None = None
    has_code: bool | None = None
    sort: str = "relevance"
    mode: str = "hybrid"
    page: int = 1
    limit: int = 20
    like: str = ""  # find papers related to this text (a draft abstract, up to MAX_LIKE_CHARS)


@dataclass(slots=True)
class SearchHit:
    id: str
    score: float
    keyword_rank: int | None = None
    semantic_rank: int | None = None


@dataclass
class SearchResult:
    """One page of results, best first, with what the page needs to show them."""

    query: ParsedQuery
    hits: list[SearchHit]
    items: list[FeedItem]
    total: int
    page: int
    limit: int
    sort: str
    mode: str
    pinned: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def highlight_terms(self) -> list[str]:
        return self.query.highlight_terms

    @property
    def weak(self) -> bool:
        """Whether every result is only a weak match (shown apart, under that heading)."""
        return WEAK_NOTE in self.notes

    @property
    def has_next(self) -> bool:
        return self.page * self.limit < self.total


def build_query(req: SearchRequest) -> ParsedQuery:
    """The parsed query text with the request's filter parameters added."""
    if req.sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}")
    if req.mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}")
    if not 1 <= req.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if req.page < 1 or (req.page - 1) * req.limit >= MAX_DEPTH:
        raise QueryError(f"page must be between 1 and {-(-MAX_DEPTH // req.limit)}")
    q = parse_query(req.q)
    if req.like.strip():
        _add_like(q, req.like)
    q.authors += [a for a in req.authors if a.strip()]
    q.orgs += [o for o in req.orgs if o.strip()]
    q.categories += [c for c in req.categories if c.strip()]
    q.since = req.since or q.since
    q.until = req.until or q.until
    q.has_code = req.has_code if req.has_code is not None else q.has_code
    if q.since and q.until and q.since > q.until:
        raise QueryError("since is after until")
    return q


def search(settings: Settings, session: Session, req: SearchRequest) -> SearchResult:
    """Run ``req``; raises ``QueryError`` (a 400 for callers) on a malformed request.

    The ranking does not depend on the page asked for: every page of one query is cut from
    the same list (at most ``MAX_DEPTH`` long), so totals agree and no paper repeats.
    """
    q = build_query(req)
    index = get_index(settings)
    notes: list[str] = []
    if q.has_text:
        hits = _ranked(settings, index, q, req.mode, notes)
    else:  # filters only: list every match (up to the paging limit), newest first
        hits = [SearchHit(index.ids[r], 0.0) for r in index.keyword.search(q, MAX_DEPTH)[0]]
    pinned = _pinned(session, q) if req.sort == "relevance" else None
    if pinned and (q.has_filters or q.excluded) and not _passes(index, q, pinned):
        pinned = None
    if pinned:
        hits = [SearchHit(pinned, float("inf"))] + [h for h in hits if h.id != pinned]
    return _page(session, q, req, hits, pinned, notes)


def _add_like(q: ParsedQuery, text: str) -> None:
    """ "Similar to this text": the passage is embedded whole, and its most frequent content
    words are the keyword terms (as similar papers of a stored paper are found)."""
    if len(text) > MAX_LIKE_CHARS:
        raise QueryError(
            f"the text is too long ({len(text)} characters; at most {MAX_LIKE_CHARS}): "
            "paste its abstract or introduction"
        )
    q.like = " ".join(text.split())
    q.terms += [t for t in keyword_terms("", q.like, LIKE_TERMS) if t not in q.terms]


def _ranked(
    settings: Settings, index: LocalIndex, q: ParsedQuery, mode: str, notes: list[str]
) -> list[SearchHit]:
    """The query's ranking in ``mode``; the keyword search runs beside the embedding.

    Keyword mode embeds the query only when the no-match check needs it (the best keyword
    matches cover under half of the query), so it does not pay for a semantic search.
    """
    keyword_job = _POOL.submit(index.keyword.rank, q, MAX_DEPTH)
    if mode == "keyword":
        kw = keyword_job.result()
        lazy = functools.partial(_keyword_mode_nearness, settings, index, q)
        if _nothing_matches(index, q, kw, lazy, notes):
            return []
        return [
            SearchHit(index.ids[row], score, rank + 1)
            for rank, (row, score) in enumerate(zip(kw.rows, kw.scores, strict=True))
        ]
    vector = _query_vector(settings, index, q, notes)
    sem_rows, sem_scores = (  # hybrid may take its candidates from the graph (fusion rescores)
        _semantic(index, q, vector, SEMANTIC_DEPTH, exact=mode != "hybrid")
        if vector is not None
        else ([], [])
    )
    # Fusion needs the BM25 score of every semantic candidate. Those the keyword ranking does
    # not list get it from a second tantivy search over just them, started now in the pool:
    # beside the keyword ranking when that is still running (then every candidate is scored).
    early = set(keyword_job.result().rows) if keyword_job.done() else set()
    unscored = [r for r in sem_rows if r not in early]
    scoring_job = (
        _POOL.submit(index.keyword.search, q, len(unscored), unscored)
        if mode == "hybrid" and unscored
        else None
    )
    kw = keyword_job.result()  # it ran beside the embedding and the scan
    nearness = _nearness(index, vector, sem_scores) if vector is not None else None
    if nearness is not None and _nothing_matches(index, q, kw, nearness, notes):
        return []
    if mode == "semantic" and not sem_rows:
        ranked = list(zip(kw.rows, kw.scores, strict=True))
    elif mode == "semantic":
        ranked = list(zip(sem_rows, sem_scores, strict=True))
    else:  # the candidates' BM25 scores are computed meanwhile (scoring_job)
        listed = set(kw.rows)
        keyword = dict(zip(kw.rows[:HYBRID_KEYWORD_DEPTH], kw.scores, strict=False))
        semantic = dict(zip(sem_rows, sem_scores, strict=True))
        depth = HYBRID_KEYWORD_DEPTH
        deeper = dict(zip(kw.rows[depth:], kw.scores[depth:], strict=True))
        keyword.update((r, deeper[r]) for r in semantic if r in deeper)  # near lifts kept
        _add_cosines(index, vector, keyword, semantic)  # the scored rows have theirs
        if scoring_job is not None:  # the ranking's own scores carry its near lifts
            scored = zip(*scoring_job.result(), strict=True)
            keyword.update((r, s) for r, s in scored if r not in listed)
        listing = not q.like and hybrid.lists_topics(q.terms)  # a field: no near lift
        share = hybrid.share_for(distinctive=kw.distinctive, near=bool(kw.near),
                                 natural=_natural(q), listing=listing)  # fmt: skip
        lifted = kw.near if kw.distinctive and not listing else {}
        first = None if listing else kw.first
        ranked = hybrid.combine(keyword, semantic, share, lifted, first)[:MAX_DEPTH]
    kw_rank = {r: i + 1 for i, r in enumerate(kw.rows)}
    sem_rank = {r: i + 1 for i, r in enumerate(sem_rows)}
    return [
        SearchHit(index.ids[row], score, kw_rank.get(row), sem_rank.get(row))
        for row, score in ranked
    ]


@dataclass(frozen=True, slots=True)
class Nearness:
    """How near the collection comes to a query: the best cosine, and whether only a few
    papers come near it (``thin``: its ``SPREAD_RANK``-th neighbour is far below the best)."""

    best: float
    thin: bool


def _nearness(index: LocalIndex, vector: np.ndarray, sem_scores: list[float]) -> Nearness:
    """``Nearness`` from the query's semantic neighbour scores (best first)."""
    best = sem_scores[0] if sem_scores else float(index.vectors.search(vector, 1)[1][0])
    # sem_scores stop at MIN_SIMILARITY: fewer than SPREAD_RANK of them is a thin neighbourhood
    thin = len(index.vectors) >= SPREAD_MIN_PAPERS and (
        len(sem_scores) < SPREAD_RANK or sem_scores[SPREAD_RANK - 1] < WEAK_SPREAD * best
    )
    return Nearness(best, thin)


def _keyword_mode_nearness(
    settings: Settings, index: LocalIndex, q: ParsedQuery
) -> Nearness | None:
    """Keyword mode's ``Nearness``, computed only when asked (None without vectors): the same
    neighbours as hybrid looks at (from the graph where there is one; semantic mode's come
    from the scan, and differ only in the deepest of them)."""
    vector = _query_vector(settings, index, q, [])
    if vector is None:
        return None
    return _nearness(index, vector, _semantic(index, q, vector, SEMANTIC_DEPTH, exact=False)[1])


def _natural(q: ParsedQuery) -> bool:
    """Whether the query is written in plain words (it holds a stopword: ``of``, ``to``,
    ``and``) rather than as key words; ``in-context`` or ``text-to-speech`` do not count."""
    return any(w.isalpha() and term_of(w.lower()) is None for w in q.terms)


def _query_vector(
    settings: Settings, index: LocalIndex, q: ParsedQuery, notes: list[str]
) -> np.ndarray | None:
    if len(index.vectors) == 0:
        notes.append("semantic search is unavailable until papers are embedded "
                     "(`dailypapers index rebuild`); showing keyword matches")  # fmt: skip
        return None
    embedder = get_query_embedder(settings)  # no torch by default (QUERY_EMBEDDING)
    return embedder.embed_passage(q.like) if q.like else embedder.embed_query(q.text)


def _add_cosines(
    index: LocalIndex, vector: np.ndarray | None,
    keyword: dict[int, float], semantic: dict[int, float],
) -> None:  # fmt: skip
    """Give each keyword candidate the semantic search did not find its cosine (hybrid fusion
    scores every candidate with both engines)."""
    only_keyword = [r for r in keyword if r not in semantic]
    if only_keyword and vector is not None:
        found, cosines = index.vectors.cosines(vector, np.array(only_keyword))
        semantic.update(zip(found.tolist(), cosines.tolist(), strict=True))


def _nothing_matches(
    index: LocalIndex, q: ParsedQuery, kw: Ranking,
    nearness: Nearness | Callable[[], Nearness | None], notes: list[str],
) -> bool:  # fmt: skip
    """Whether the query is about nothing in the collection (then no results), or only about
    something close to it (a note says the matches are weak).

    A paper holding most of the query's words (``FULL_COVERAGE`` of their IDF weight: a
    look-up of remembered words), or many papers near its meaning (best cosine at least
    ``WEAK_SIMILARITY``, not a thin neighbourhood: ``WEAK_SPREAD``), and the matches are real.
    Otherwise nothing matches when no paper holds half of the words *and* no abstract is
    similar (cosine under ``NO_MATCH_SIMILARITY``): both engines agree that the query is
    elsewhere; in between, the matches are weak. Thresholds chosen on the labelled and
    no-match queries of ``tests/search_labelled.py``, the fresh sets reported (docs/search.md).
    ``nearness`` may be a function (keyword mode): it is called only when needed.
    """
    if q.has_filters or q.phrases:  # the user narrowed it down: show what passes
        return False
    if isinstance(nearness, Nearness) and nearness.best >= WEAK_SIMILARITY and not nearness.thin:
        return False
    coverage = index.keyword.coverage(q, kw.rows[:COVERAGE_DEPTH])
    if coverage >= FULL_COVERAGE:
        return False
    near = nearness if isinstance(nearness, Nearness) else nearness()
    if near is None or (near.best >= WEAK_SIMILARITY and not near.thin):
        return False
    if near.best < NO_MATCH_SIMILARITY and coverage < MIN_COVERAGE:
        notes.append("nothing in the collection matches this query")
        return True
    notes.append(WEAK_NOTE)
    return False


def _semantic(
    index: LocalIndex, q: ParsedQuery, vector: np.ndarray, depth: int, exact: bool = True
) -> tuple[list[int], list[float]]:
    """Nearest rows to the query's text that satisfy its filters, phrases and exclusions
    (``exact=False``: candidates from the vector graph where there is one)."""
    constraint = dataclasses.replace(q, terms=[])
    if not (constraint.has_filters or constraint.phrases or constraint.excluded):
        rows, scores = index.vectors.search(vector, depth, exact=exact)
        keep = scores >= MIN_SIMILARITY
        return [int(r) for r in rows[keep]], [float(s) for s in scores[keep]]
    rows, scores = index.vectors.search(vector, depth * 5, exact=exact)
    keep = scores >= MIN_SIMILARITY
    rows, scores = rows[keep], scores[keep]
    allowed = set(index.keyword.search(constraint, len(rows), rows=[int(r) for r in rows])[0])
    kept = [(int(r), float(s)) for r, s in zip(rows, scores, strict=True) if int(r) in allowed]
    if len(kept) < depth:  # a selective filter: score every paper that passes it
        passing = index.keyword.search(constraint, FILTER_SCAN)[0]
        if len(passing) < FILTER_SCAN:
            rows, scores = index.vectors.search(vector, depth, np.array(passing))
            kept = [(int(r), float(s)) for r, s in zip(rows, scores, strict=True)
                    if s >= MIN_SIMILARITY]  # fmt: skip
    kept = kept[:depth]
    return [r for r, _ in kept], [s for _, s in kept]


def _pinned(session: Session, q: ParsedQuery) -> str | None:
    """An exact arXiv id or exact title typed as the whole query."""
    text = " ".join([*q.phrases, *q.terms]).strip()
    if not text:
        return None
    parsed = parse_arxiv_id(text)
    if parsed and len(text) <= len(parsed[0]) + 40 and " " not in text:
        found = session.scalar(select(Paper.id).where(Paper.id == parsed[0]))
        if found:
            return found
    norm = normalise_title(q.raw if not q.has_filters else text)
    if len(norm) < 12:  # short queries are words, not titles
        return None
    return session.scalar(select(Paper.id).where(Paper.title_norm == norm).limit(1))


def _passes(index: LocalIndex, q: ParsedQuery, paper_id: str) -> bool:
    """Whether a paper satisfies the query's filters and exclusions."""
    row = index.row_of.get(paper_id)
    constraint = dataclasses.replace(q, terms=[], phrases=[])
    return row is not None and bool(index.keyword.search(constraint, 1, rows=[row])[0])


def _sort_key(sort: str) -> Callable[[FeedItem], Any]:
    if sort == "date":
        return lambda it: it.paper.published_on or it.feed_date or dt.date.min
    if sort == "upvotes":
        return lambda it: it.paper.upvotes
    return lambda it: it.paper.trending_score


def _page(
    session: Session, q: ParsedQuery, req: SearchRequest, hits: list[SearchHit],
    pinned: str | None, notes: list[str],
) -> SearchResult:  # fmt: skip
    start = (req.page - 1) * req.limit
    if req.sort == "relevance" and q.has_text:
        window = hits[start : start + req.limit]
        items = papers_by_ids(session, [h.id for h in window])
        total = len(hits)
    else:
        pool = hits[:SORT_POOL] if q.has_text else hits
        items_all = papers_by_ids(session, [h.id for h in pool])
        if req.sort != "relevance":
            items_all.sort(key=_sort_key(req.sort), reverse=True)
        by_id = {h.id: h for h in pool}
        total = len(items_all)
        items = items_all[start : start + req.limit]
        window = [by_id[it.paper.id] for it in items]
    return SearchResult(q, window, items, total, req.page, req.limit, req.sort, req.mode,
                        pinned, notes)  # fmt: skip
