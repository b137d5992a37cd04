"""Words as the keyword index sees them, so that results mark exactly what matched.

A word of a result matches a query word when both reduce to the same index term (lower case,
English stemming): ``models`` and ``modelling`` match ``model``; ``often`` does not match
``of``, and stopwords (``of``, ``the``) never match anything, as they are not indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from dailypapers.search.keyword import analyzer

__all__ = ["WORD", "index_terms", "term_of"]

WORD = re.compile(r"\w+")
_ANALYZER = analyzer(stem=True)


@lru_cache(maxsize=65_536)
def term_of(word: str) -> str | None:
    """The index term of one word, or None for a stopword (or nothing searchable)."""
    tokens = _ANALYZER.analyze(word)
    return tokens[0] if len(tokens) == 1 else None


def index_terms(words: Iterable[str]) -> frozenset[str]:
    """The index terms of query words (each may hold several, e.g. ``self-supervised``);
    single letters are left out (``b`` would mark every ``<b>`` of a pasted title)."""
    parts = (part for w in words for part in WORD.findall(w) if len(part) > 1)
    return frozenset(t for part in parts if (t := term_of(part.lower())))
