"""Measure the similar-papers ranking on a CSFCube-format collection.

Each query's candidate pool is ranked by one of four methods and scored with NDCG%20 and MAP
(``search/evaluation/csfcube.py``):

- ``keyword``: BM25 of the product's keyword index (tantivy, built in a temporary folder)
  for the query paper's salient words, as the product's keyword fallback;
- ``semantic``: cosine of the whole-abstract vectors (plain nearest neighbours);
- ``hybrid``: reciprocal-rank fusion of the two, as hybrid search fuses them;
- ``full``: the product's similar-papers ranking (``similar.rank_similar``), facet-aware
  unless ``ignore_facet``.

Vectors are made exactly as the product makes and stores them (same text recipe, float16
whole-abstract vectors, int8 part blobs) and cached on disk by text, so a second run embeds
nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dailypapers.search import hybrid
from dailypapers.search.contract import paper_text
from dailypapers.search.evaluation.csfcube import (
    FACETS,
    CsfCube,
    CsfQuery,
    average_precision,
    ndcg_pct20,
)
from dailypapers.search.evaluation.embed_cache import EmbeddingCache
from dailypapers.search.keyword import KeywordDoc, KeywordIndex
from dailypapers.search.neighbours import keyword_terms
from dailypapers.search.parts import compute_parts, decode_parts, encode_parts
from dailypapers.search.parts_store import KEYWORD_TERMS
from dailypapers.search.query import ParsedQuery
from dailypapers.search.similar import DEFAULT_WEIGHTS, PaperVectors, Weights, rank_similar

__all__ = ["METHODS", "Evaluation", "QueryScore", "evaluate", "prepare_vectors"]

METHODS = ("keyword", "semantic", "hybrid", "full")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class QueryScore:
    """The metrics of one query's ranking."""

    key: str
    facet: str
    ndcg: float
    ap: float


@dataclass
class Evaluation:
    """Per-query scores with averages by facet and overall."""

    scores: list[QueryScore] = field(default_factory=list)

    def mean(self, facet: str | None = None) -> tuple[float, float, int]:
        """Mean NDCG%20, mean AP (MAP) and query count, of one facet or all queries."""
        chosen = [s for s in self.scores if facet is None or s.facet == facet]
        if not chosen:
            return 0.0, 0.0, 0
        return (
            float(np.mean([s.ndcg for s in chosen])),
            float(np.mean([s.ap for s in chosen])),
            len(chosen),
        )


def cached_encoder(
    cache: EmbeddingCache,
    embed: Callable[[list[str]], np.ndarray],
    progress: Progress | None = None,
) -> Callable[[list[str]], np.ndarray]:
    """An encoder that embeds only texts missing from ``cache`` (shortest first, so batches
    pad little) and returns every text's vector from it."""

    def encode(texts: list[str]) -> np.ndarray:
        todo = sorted(cache.missing(texts), key=len)
        done = 0

        def step(count: int) -> None:
            nonlocal done
            done += count
            if progress:
                progress("embedding", done, len(todo))

        cache.fill(todo, embed, progress=step)
        return cache.get(texts)

    return encode


def prepare_vectors(
    cube: CsfCube, encode: Callable[[list[str]], np.ndarray]
) -> dict[str, PaperVectors]:
    """Whole-abstract and part vectors of every paper, through the product's storage forms."""
    ids = list(cube.papers)
    papers = [cube.papers[p] for p in ids]
    docs = encode([paper_text(p.title, p.abstract) for p in papers]).astype(np.float16)
    parts = compute_parts(encode, [(p.title, p.abstract) for p in papers])
    return {
        pid: PaperVectors(pid, doc.astype(np.float32), decode_parts(encode_parts(part)))
        for pid, doc, part in zip(ids, docs, parts, strict=True)
    }


def keyword_scores(cube: CsfCube, queries: list[CsfQuery]) -> dict[str, dict[str, float]]:
    """BM25 of each query's candidates with the product's keyword index and query terms."""
    ids = list(cube.papers)
    row_of = {pid: row for row, pid in enumerate(ids)}
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="dailypapers-csfcube-") as folder:
        index = KeywordIndex(Path(folder))
        index.write(
            KeywordDoc(row, pid, cube.papers[pid].title, cube.papers[pid].abstract, [], None,
                       [], None, False)
            for row, pid in enumerate(ids)
        )  # fmt: skip
        for q in queries:
            paper = cube.papers[q.pid]
            terms = keyword_terms(paper.title, paper.abstract, KEYWORD_TERMS)
            rows = [row_of[c] for c in q.grades]
            found, scores = index.search(ParsedQuery(terms=terms), len(rows), rows=rows)
            out[q.key] = {ids[r]: s for r, s in zip(found, scores, strict=True)}
    return out


def _doc(paper: PaperVectors) -> np.ndarray:
    if paper.doc is None:  # prepare_vectors gives every paper one
        raise ValueError(f"paper {paper.paper_id} has no vector")
    return paper.doc


def _ranking(
    method: str, q: CsfQuery, vectors: dict[str, PaperVectors], keyword: dict[str, float],
    ignore_facet: bool, weights: Weights,
) -> list[str]:  # fmt: skip
    cands = list(q.grades)
    if method == "keyword":
        return sorted(cands, key=lambda c: -keyword.get(c, 0.0))
    query = vectors[q.pid]
    semantic = sorted(cands, key=lambda c: -float(np.dot(_doc(query), _doc(vectors[c]))))
    if method == "semantic":
        return semantic
    if method == "hybrid":
        by_keyword = sorted(cands, key=lambda c: -keyword.get(c, 0.0))
        position = {c: i for i, c in enumerate(cands)}
        fused = hybrid.fuse([[position[c] for c in by_keyword], [position[c] for c in semantic]])
        return [cands[i] for i, _ in fused]
    facet = None if ignore_facet else q.facet
    ranked = rank_similar(query, [vectors[c] for c in cands], facet, keyword, weights)
    # Two pools contain their own query paper (graded 3). The product never lists a paper as
    # similar to itself; every other method ranks it first (cosine 1), so do the same here.
    itself = [q.pid] if q.pid in q.grades else []
    return itself + [pid for pid, _ in ranked]


def evaluate(
    cube: CsfCube,
    queries: list[CsfQuery],
    vectors: dict[str, PaperVectors] | None,
    method: str = "full",
    ignore_facet: bool = False,
    weights: Weights = DEFAULT_WEIGHTS,
    keyword: dict[str, dict[str, float]] | None = None,
) -> Evaluation:
    """Rank every query's pool with ``method`` and score it. ``vectors`` may be None for
    the keyword method only; ``keyword`` (from :func:`keyword_scores`) is computed when
    not given."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if vectors is None and method != "keyword":
        raise ValueError(f"the {method} method needs vectors")
    keyword = keyword if keyword is not None else keyword_scores(cube, queries)
    result = Evaluation()
    for q in queries:
        order = _ranking(method, q, vectors or {}, keyword.get(q.key, {}), ignore_facet, weights)
        grades = [q.grades[c] for c in order]
        ap = average_precision(grades)
        result.scores.append(QueryScore(q.key, q.facet, ndcg_pct20(grades), ap))
    return result


def report_lines(result: Evaluation) -> list[str]:
    """The table printed by ``dailypapers eval csfcube``; the last line is the headline."""
    lines = [f"{'facet':<11} {'queries':>7} {'NDCG%20':>8} {'MAP':>6}"]
    for facet in FACETS:
        ndcg, mean_ap, count = result.mean(facet)
        if count:
            lines.append(f"{facet:<11} {count:>7} {ndcg:>8.3f} {mean_ap:>6.3f}")
    ndcg, mean_ap, _ = result.mean()
    lines.append(f"overall NDCG%20={ndcg:.3f} MAP={mean_ap:.3f}")
    return lines
