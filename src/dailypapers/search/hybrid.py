"""Fusion of the keyword and semantic result lists.

Hybrid search scores every candidate of either list with both engines and adds them:
``KEYWORD_SHARE * bm25 / best_bm25 + (1 - KEYWORD_SHARE) * cosine``. The BM25 score is divided
by the query's best one (BM25 has no fixed scale across queries); the cosine is kept as it is
(it has one). Chosen on the dev queries of ``tests/search_labelled.py`` over reciprocal-rank
fusion with k=10 (the previous choice) and k=60, weighted or not, and over min-max
normalised cosines: see docs/search.md for the table.

``fuse`` (reciprocal-rank fusion) stays for the CSFCube evaluation's ``hybrid`` method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 10.0
KEYWORD_SHARE = 0.4


def combine(
    keyword: Mapping[int, float], semantic: Mapping[int, float], share: float = KEYWORD_SHARE
) -> list[tuple[int, float]]:
    """Rows of either mapping by fused score, best first; ties by row (a stable order).

    ``keyword`` maps rows to BM25 scores and ``semantic`` to cosines; a row missing from one
    mapping scores 0 there (it does not match the words, or has no vector).
    """
    best = max(keyword.values(), default=0.0) or 1.0
    scores = {
        row: share * keyword.get(row, 0.0) / best + (1.0 - share) * semantic.get(row, 0.0)
        for row in {**keyword, **semantic}
    }
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def fuse(
    lists: Sequence[Sequence[int]],
    weights: Sequence[float] | None = None,
    k: float = RRF_K,
) -> list[tuple[int, float]]:
    """Items of all ``lists`` (each best first) by fused score, best first; ties keep order."""
    weights = weights or [1.0] * len(lists)
    scores: dict[int, float] = {}
    for items, weight in zip(lists, weights, strict=True):
        for rank, item in enumerate(items):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda pair: -pair[1])
