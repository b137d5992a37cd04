"""Marking query words in titles and abstracts: escape first, then wrap matches in <mark>.

Matching works on the raw text (so a word can never match inside an HTML entity); each piece
is escaped before the markup is joined. A query word matches words that start with it, so
``model`` marks "models" and "modelling", as the stemming keyword index finds them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from dailypapers.web.filters import snippet


def _pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    words = sorted({t.lower() for t in terms if len(t) > 1}, key=len, reverse=True)[:40]
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)


def highlight(text: str | None, terms: Sequence[str]) -> Markup:
    """``text`` escaped, with the words matching ``terms`` inside ``<mark>``."""
    text = text or ""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def highlight_snippet(text: str | None, terms: Sequence[str], length: int = 300) -> Markup:
    """A ``length``-character excerpt around the first match (else the start), highlighted."""
    text = " ".join((text or "").split())
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern else None
    if match is None or match.start() < length // 2:
        return highlight(snippet(text, length), terms)
    start = text.rfind(" ", 0, match.start() - length // 3) + 1
    return highlight("\u2026" + snippet(text[start:], length), terms)


def register(env) -> None:  # type: ignore[no-untyped-def]
    env.filters["highlight"] = highlight
    env.filters["highlight_snippet"] = highlight_snippet
