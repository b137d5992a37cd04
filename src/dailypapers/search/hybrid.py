"""Fusion of the keyword and semantic result lists.

Hybrid search scores every candidate of either list with both engines and adds them:
``share * bm25 / best_bm25 + (1 - share) * cosine``. The BM25 score is divided by the query's
best one (BM25 has no fixed scale across queries); the cosine is kept as it is (it has one).
The keyword share depends on what the query looks like (``share_for``):

- a *distinctive near match* (at most ``keyword.NEAR_MAX`` papers hold every word close
  together: a remembered phrase of a title or abstract) leans on keyword (``NEAR_SHARE``), and
  those papers get ``NEAR_BONUS`` on top (the only such paper comes first);
- keyword-style queries (no stopword) or words found together somewhere: ``KEYWORD_SHARE``;
- a sentence in plain words (it holds stopwords: ``of``, ``to``, ``for``) whose words no paper
  holds together is about meaning: ``QUESTION_SHARE``;
- a list of topics (``lists_topics``: ``speech synthesis and audio generation``, ``attacks,
  malware and privacy protection``) describes a field, not a paper: it leans almost wholly on
  meaning (``LIST_SHARE``), and its near matches are neither lifted nor put first (the only
  paper holding the listed words close together is not the field).

Chosen on the dev half of every label set of ``tests/search_labelled.py`` over one fixed share
(0.4, the previous choice), reciprocal-rank fusion with k=10 and k=60, weighted or not and
per query type, min-max normalised scores and a share set by the peakedness of the BM25
scores: see docs/search.md for the tables.

``fuse`` (reciprocal-rank fusion) stays for the CSFCube evaluation's ``hybrid`` method.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

RRF_K = 10.0
NEAR_SHARE = 0.6
KEYWORD_SHARE = 0.3
QUESTION_SHARE = 0.1
LIST_SHARE = 0.02
NEAR_BONUS = 0.05
_LIST_WORDS = frozenset({"and", "&"})


def lists_topics(words: Sequence[str]) -> bool:
    """Whether the query's free words list topics: ``and`` (or ``&``) between them, or a comma
    after one of them (``attacks,``); ``rock-and-roll`` is one word and does not count."""
    return any(w.lower() in _LIST_WORDS for w in words[1:-1]) or any(
        w.endswith(",") for w in words[:-1]
    )


def share_for(*, distinctive: bool, near: bool, natural: bool, listing: bool = False) -> float:
    """The keyword share of a query (see the module docstring)."""
    if listing:
        return LIST_SHARE
    if distinctive:
        return NEAR_SHARE
    return KEYWORD_SHARE if near or not natural else QUESTION_SHARE


def combine(
    keyword: Mapping[int, float],
    semantic: Mapping[int, float],
    share: float = KEYWORD_SHARE,
    lifted: Collection[int] = (),
    first: int | None = None,
) -> list[tuple[int, float]]:
    """Rows of either mapping by fused score, best first; ties by row (a stable order).

    ``keyword`` maps rows to BM25 scores and ``semantic`` to cosines; a row missing from one
    mapping scores 0 there (it does not match the words, or has no vector). ``lifted`` rows get
    ``NEAR_BONUS``; ``first`` (when among the candidates) comes first whatever its score.
    """
    best = max(keyword.values(), default=0.0) or 1.0
    kw_rows = np.fromiter(keyword.keys(), np.int64, len(keyword))
    sem_rows = np.fromiter(semantic.keys(), np.int64, len(semantic))
    rows = np.union1d(kw_rows, sem_rows)  # the order is the final sort's business
    kw, sem = np.zeros(len(rows)), np.zeros(len(rows))  # a row missing from one scores 0 there
    kw[np.searchsorted(rows, kw_rows)] = np.fromiter(keyword.values(), np.float64, len(keyword))
    sem[np.searchsorted(rows, sem_rows)] = np.fromiter(semantic.values(), np.float64,
                                                       len(semantic))  # fmt: skip
    bonus = np.where(np.isin(rows, np.fromiter(lifted, np.int64)), NEAR_BONUS, 0.0)
    # the same float64 operations, in the same order, as one Python expression per row
    scores = share * kw / best + (1.0 - share) * sem + bonus
    order = np.lexsort((rows, -scores, rows != (-1 if first is None else first)))
    return list(zip(rows[order].tolist(), scores[order].tolist(), strict=True))


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
