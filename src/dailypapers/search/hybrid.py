"""Rank fusion of the keyword and semantic result lists.

Weighted reciprocal-rank fusion: ``score(d) = sum_e w_e / (k + rank_e(d))``. It needs no score
calibration between BM25 and cosine, and degrades gracefully when one list is empty. The
constants were tuned on the labelled set in ``tests/search_fixtures.py`` and CSFCube (see
docs/search.md).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 10.0
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0


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
