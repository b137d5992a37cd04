"""Papers similar to a given paper, optionally by one facet (background, method, result).

Interface with the rest of search (``search/neighbours.py``):

- ``similar_papers(settings, session, paper_id, limit=10, by=None) -> [(id, score)]`` is what
  the API (``/api/papers/{id}/similar?by=``) and the paper page call (as ``related``). It
  takes a candidate pool from ``neighbours.nearest`` (cosine neighbours of the stored
  whole-abstract vector, or a keyword search when the paper has no vector yet), reranks it
  with :func:`rank_similar` and returns the best ``limit``.
- ``rank_similar(query, candidates, facet=None, keyword_scores=None) -> [(id, score)]`` is
  the pure ranking over :class:`PaperVectors`; ``dailypapers eval csfcube`` calls the same.
- At index time ``search.parts_store.index_parts(settings, ids)`` stores the title and
  sentence vectors this ranking uses (called from ``indexer.embed_papers``).

No model runs at request time: everything comes from vectors stored ahead of time.

The score of a candidate is a weighted sum of four signals, each standardised (z-score)
over the pool so that cosines and BM25 scores mix on one scale:

- ``doc``: cosine of the whole-abstract vectors (the semantic-search vector);
- ``title``: cosine of the title vectors;
- ``parts``: facet-aware sentence alignment: for each sentence of the query abstract, the
  best cosine with any candidate sentence, where candidate sentences of the asked facet count
  fully and others at half weight; averaged over query sentences weighted by how much each
  speaks to the facet (``facets.facet_weights``). Without a facet every sentence counts
  alike (a Chamfer-style match of the two abstracts);
- ``keyword``: BM25 of the candidate for the query paper's salient words.

A second pass adds ``feedback``: the cosine of each candidate with the centroid of the first
pass's five best (pseudo-relevance feedback), which smooths over one abstract's wording.

A signal missing for a candidate (no vectors yet) counts as the pool average, so papers
without vectors are neither buried nor promoted by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.search.engine import get_index
from dailypapers.search.facets import FACETS, facet_index
from dailypapers.search.neighbours import keyword_terms, nearest
from dailypapers.search.parts import PaperParts
from dailypapers.search.parts_store import KEYWORD_TERMS, load_parts, parts_key
from dailypapers.search.query import ParsedQuery
from dailypapers.store.models import Paper

__all__ = [
    "FACETS",
    "PaperVectors",
    "Weights",
    "gather",
    "rank_similar",
    "related",
    "similar_papers",
]

POOL_SIZE = 100  # candidates reranked per request: enough for a page, cheap to load
OFF_FACET_WEIGHT = 0.5  # a candidate sentence of another facet still counts half
FEEDBACK_TOP = 5  # first-pass best candidates whose centroid is the feedback query


@dataclass(frozen=True)
class Weights:
    """How much each standardised signal counts (tuned on the CSFCube dev fold)."""

    doc: float = 1.0
    title: float = 1.0
    parts: float = 1.0
    keyword: float = 0.5
    feedback: float = 1.0


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class PaperVectors:
    """What the ranking knows about one paper: any of these may be missing."""

    paper_id: str
    doc: np.ndarray | None = None
    parts: PaperParts | None = field(default=None, repr=False)


def _standardise(values: list[float | None]) -> np.ndarray:
    """z-scores of the known values; unknown ones get 0 (the pool average)."""
    known = np.array([v for v in values if v is not None], dtype=np.float64)
    out = np.zeros(len(values))
    if len(known) < 2 or known.std() == 0:
        return out
    mean, std = known.mean(), known.std()
    for i, value in enumerate(values):
        if value is not None:
            out[i] = (value - mean) / std
    return out


def _cosine(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    if a is None or b is None:
        return None
    return float(np.dot(a, b))


def _alignments(
    query: PaperParts | None, pool: Sequence[PaperVectors], facet: int | None
) -> list[float | None]:
    """Per candidate: weighted mean over query sentences of their best (facet-weighted)
    match among the candidate's sentences; one matrix product for the whole pool."""
    out: list[float | None] = [None] * len(pool)
    have = [i for i, c in enumerate(pool) if c.parts is not None and len(c.parts.sentences)]
    if query is None or not len(query.sentences) or not have:
        return out
    parts = [p for p in (pool[i].parts for i in have) if p is not None]
    sims = query.sentences @ np.concatenate([p.sentences for p in parts]).T
    weights = np.ones(len(query.sentences))
    if facet is not None:
        on_facet = np.concatenate([p.facets[:, facet] for p in parts])
        sims *= (OFF_FACET_WEIGHT + (1.0 - OFF_FACET_WEIGHT) * on_facet)[None, :]
        if query.facets[:, facet].sum() > 0:
            weights = query.facets[:, facet]
    starts = np.cumsum(np.array([0] + [len(p.sentences) for p in parts[:-1]], dtype=np.int64))
    best = np.maximum.reduceat(sims, starts, axis=1)
    for i, score in zip(have, weights @ best / weights.sum(), strict=True):
        out[i] = float(score)
    return out


def _feedback(pool: Sequence[PaperVectors], first: np.ndarray) -> np.ndarray:
    """Pseudo-relevance feedback: closeness to the centroid of the first pass's best few.

    The best-scored candidates agree on what the query is about more reliably than the one
    query abstract does, so closeness to their mean vector is a second, smoother opinion.
    """
    top = [pool[i].doc for i in np.argsort(-first, kind="stable")[:FEEDBACK_TOP]]
    top = [v for v in top if v is not None]
    if not top:
        return np.zeros(len(pool))
    centroid = np.mean(top, axis=0)
    return _standardise([_cosine(centroid, c.doc) for c in pool])


def rank_similar(
    query: PaperVectors,
    candidates: Sequence[PaperVectors],
    facet: str | None = None,
    keyword_scores: Mapping[str, float] | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[tuple[str, float]]:
    """Rank ``candidates`` by similarity to ``query``, best first, as ``(id, score)``.

    ``facet`` (``background``, ``method`` or ``result``; None for the whole paper) selects
    which part of the query abstract must match. ``keyword_scores`` maps candidate ids to a
    keyword score (BM25 of the candidate for the query paper's words); ids absent from a
    given mapping score 0. Scores are relative to this pool only. The query paper itself is
    left out; ties keep the candidates' order.
    """
    pool = [c for c in candidates if c.paper_id != query.paper_id]
    if not pool:
        return []
    column = facet_index(facet) if facet else None
    query_title = query.parts.title if query.parts is not None else None
    doc = [_cosine(query.doc, c.doc) for c in pool]
    title = [_cosine(query_title, c.parts.title if c.parts else None) for c in pool]
    total = weights.doc * _standardise(doc)
    total += weights.title * _standardise(title)
    total += weights.parts * _standardise(_alignments(query.parts, pool, column))
    if keyword_scores is not None:
        keyword = [float(keyword_scores.get(c.paper_id, 0.0)) for c in pool]
        total += weights.keyword * _standardise(list(keyword))
    total += weights.feedback * _feedback(pool, total)
    order = np.argsort(-total, kind="stable")
    return [(pool[i].paper_id, round(float(total[i]), 6)) for i in order]


def similar_papers(
    settings: Settings, session: Session, paper_id: str, limit: int = 10, by: str | None = None
) -> list[tuple[str, float]]:
    """The ``limit`` papers most similar to ``paper_id`` (optionally by facet ``by``).

    Candidates: the ``POOL_SIZE`` nearest papers of the search index (keyword neighbours
    when the paper has no vector yet); reranked by :func:`rank_similar` from stored vectors
    and the keyword index. Unknown paper: an empty list.
    """
    if by is not None:
        facet_index(by)  # a clear ValueError before any work
    query, candidates, keyword = gather(settings, session, paper_id, max(POOL_SIZE, 3 * limit))
    if query is None:
        return []
    return rank_similar(query, candidates, by, keyword)[:limit]


def gather(
    settings: Settings, session: Session, paper_id: str, pool: int
) -> tuple[PaperVectors | None, list[PaperVectors], dict[str, float]]:
    """The query paper, its candidate pool and the candidates' keyword scores.

    Candidates come from ``neighbours.nearest``; whole-abstract vectors from the in-memory
    index, part vectors from the database (one query), keyword scores from the keyword
    index restricted to the pool. Unknown paper: ``(None, [], {})``.
    """
    paper = session.execute(select(Paper.title, Paper.abstract).where(Paper.id == paper_id)).first()
    if paper is None:
        return None, [], {}
    ids = [pid for pid, _ in nearest(settings, session, paper_id, pool)]
    index = get_index(settings)
    parts = load_parts(session, parts_key(settings), [paper_id, *ids])

    def vectors(pid: str) -> PaperVectors:
        row = index.row_of.get(pid)
        doc = index.vectors.get(row) if row is not None else None
        return PaperVectors(pid, doc, parts.get(pid))

    rows = [index.row_of[p] for p in ids if p in index.row_of]
    terms = keyword_terms(paper.title, paper.abstract or "", KEYWORD_TERMS)
    found, scores = index.keyword.search(ParsedQuery(terms=terms), len(rows), rows=rows)
    keyword = {index.ids[r]: s for r, s in zip(found, scores, strict=True)} if rows else {}
    return vectors(paper_id), [vectors(p) for p in ids], keyword


def related(
    settings: Settings, session: Session, paper_id: str, limit: int, by: str | None = None
) -> list[tuple[str, float]]:
    """Similar papers for pages, the API and the CLI: :func:`similar_papers`."""
    return similar_papers(settings, session, paper_id, limit=limit, by=by)
