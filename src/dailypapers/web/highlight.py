"""Marking query words in titles and abstracts: escape first, then wrap matches in <mark>.

Matching works on the raw text (so a word can never match inside an HTML entity); each piece
is escaped before the markup is joined. A word is marked when it reduces to the same index term
as a query word (``search.terms``): ``model`` marks "models" and "modelling", as the stemming
keyword index finds them, while stopwords and words that merely start alike ("of" and
"often") are never marked.
"""

from __future__ import annotations

from collections.abc import Sequence

from jinja2 import Environment
from markupsafe import Markup, escape

from dailypapers.search import WORD, index_terms, term_of
from dailypapers.web.filters import snippet


def _marked(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    return [m.span() for m in WORD.finditer(text) if term_of(m.group(0).lower()) in terms]


def highlight(text: str | None, terms: Sequence[str]) -> Markup:
    """``text`` escaped, with the words matching ``terms`` inside ``<mark>``."""
    text = text or ""
    wanted = index_terms(terms)
    out, last = [], 0
    for start, end in _marked(text, wanted) if wanted else []:
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def highlight_snippet(text: str | None, terms: Sequence[str], length: int = 300) -> Markup:
    """A ``length``-character excerpt around the first match (else the start), highlighted."""
    text = " ".join((text or "").split())
    wanted = index_terms(terms)
    first = _marked(text, wanted)[:1] if wanted else []
    if not first or first[0][0] < length // 2:
        return highlight(snippet(text, length), terms)
    start = text.rfind(" ", 0, first[0][0] - length // 3) + 1
    return highlight("\u2026" + snippet(text[start:], length), terms)


def register(env: Environment) -> None:
    env.filters["highlight"] = highlight
    env.filters["highlight_snippet"] = highlight_snippet
