"""Nearest papers to a stored paper, from the local index only (no model call).

The candidate generator for similar papers: cosine neighbours of the paper's stored vector,
or, when the paper has no vector yet, a keyword search with its title and key abstract words.
``search/similar.py`` (the similar-papers ranking) reranks these.
"""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.search.engine import get_index
from dailypapers.search.query import ParsedQuery
from dailypapers.store.models import Paper

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]{3,}")
_STOP_WORDS = (
    "this that with from these those their which while where into over under such than then "
    "have been were also only more most both each other using based show shows paper propose "
    "proposed approach method methods results model models task tasks data new novel"
)
_STOP = frozenset(_STOP_WORDS.split())


def keyword_terms(title: str, abstract: str, count: int = 16) -> list[str]:
    """The title's words and the abstract's most frequent content words (a query for BM25)."""
    words = [w.lower() for w in _WORD.findall(f"{title} {title} {abstract}")]
    common = Counter(w for w in words if w not in _STOP).most_common(count)
    return [w for w, _ in common]


def nearest(settings: Settings, session: Session, paper_id: str, k: int) -> list[tuple[str, float]]:
    """Up to ``k`` (id, score) neighbours of ``paper_id``, best first, itself excluded."""
    index = get_index(settings)
    row = index.row_of.get(paper_id)
    vector = index.vectors.get(row) if row is not None else None
    if vector is not None:
        found, similarity = index.vectors.search(vector, k + 1)
        pairs = [(index.ids[int(r)], float(s)) for r, s in zip(found, similarity, strict=True)]
    else:
        paper = session.execute(
            select(Paper.title, Paper.abstract).where(Paper.id == paper_id)
        ).first()
        if paper is None:
            return []
        query = ParsedQuery(terms=keyword_terms(paper.title, paper.abstract or ""))
        rows, scores = index.keyword.search(query, k + 1)
        pairs = [(index.ids[r], s) for r, s in zip(rows, scores, strict=True)]
    return [(pid, s) for pid, s in pairs if pid != paper_id][:k]
