"""The search box language, parsed into a ``ParsedQuery`` the engines understand.

    graph neural "message passing" -survey author:"Yann LeCun" org:meta category:cs.LG
    since:2025-06 until:2025-12-31 has:code

Free words rank (any may match; more matches rank higher), quoted phrases must match, a
leading ``-`` excludes a word, phrase or filter. Unknown ``name:value`` words stay plain text
(titles contain colons). The only exception raised is ``QueryError``, which the API and pages
turn into a 400 with its message.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 40
FILTER_NAMES = ("author", "org", "category", "since", "until", "has")
_TOKEN = re.compile(r'(-?)(?:([A-Za-z_]+):)?(?:"([^"]*)"?|(\S+))')
_STRIP = re.compile(r'["\\\x00-\x1f]')
_OPERATORS = frozenset({"OR", "AND", "|", "||", "&&"})


class QueryError(ValueError):
    """A query the user must fix; the message says how."""


@dataclass
class ParsedQuery:
    """A search request's text part: words, phrases, exclusions and filters."""

    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    not_authors: list[str] = field(default_factory=list)
    not_orgs: list[str] = field(default_factory=list)
    not_categories: list[str] = field(default_factory=list)
    since: dt.date | None = None
    until: dt.date | None = None
    has_code: bool | None = None
    raw: str = ""
    like: str = ""  # "similar to this text": a passage embedded whole (its key words are terms)

    @property
    def text(self) -> str:
        """What the semantic engine embeds: words and phrases, without exclusions."""
        return self.like or " ".join([*self.phrases, *self.terms]).strip()

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases or self.like)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.authors or self.orgs or self.categories or self.not_authors or self.not_orgs
            or self.not_categories or self.since or self.until or self.has_code is not None
        )  # fmt: skip

    @property
    def highlight_terms(self) -> list[str]:
        """Words to mark in results: the free words and the words of phrases."""
        words = [w for p in self.phrases for w in p.split()] + self.terms
        return list(dict.fromkeys(w for w in words if len(w) > 1))


def parse_date(value: str, *, end: bool) -> dt.date:
    """``2025``, ``2025-06`` or ``2025-06-30``; ``end`` picks the last day of a year or month."""
    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 1:
            return dt.date(parts[0], 12 if end else 1, 31 if end else 1)
        if len(parts) == 2:
            last = calendar.monthrange(parts[0], parts[1])[1]
            return dt.date(parts[0], parts[1], last if end else 1)
        if len(parts) == 3:
            return dt.date(parts[0], parts[1], parts[2])
    except (ValueError, OverflowError):
        pass
    raise QueryError(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")


def clean(text: str) -> str:
    """Drop quotes, backslashes and control characters; fold white space."""
    return " ".join(_STRIP.sub(" ", text).split())


def parse_query(text: str | None) -> ParsedQuery:
    """Parse the search box text (see the module docstring); raises only ``QueryError``."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(text)} characters; at most {MAX_QUERY_CHARS}): "
            "keep its key words, or find papers similar to a longer text with `like=`"
        )
    query = ParsedQuery(raw=text)
    clauses = 0
    for match in _TOKEN.finditer(text):
        negated, name, quoted, bare = match.groups()
        if name is None and bare and bare.endswith(":") and bare[:-1].lower() in FILTER_NAMES:
            name, bare = bare[:-1], ""
        value = clean(quoted if quoted is not None else bare or "")
        name_l = (name or "").lower()
        if name and name_l not in FILTER_NAMES:  # "BERT:" or "arXiv:2501.01234" stay text
            value = clean(f"{name}:{value}") if value else clean(name)
            name_l = ""
        if not value:
            if name_l:
                raise QueryError(f"{name_l}: needs a value, e.g. {name_l}:{_EXAMPLES[name_l]}")
            continue
        clauses += 1
        if clauses > MAX_CLAUSES:
            raise QueryError(f"the query has too many parts (at most {MAX_CLAUSES})")
        _add(query, name_l, value, negated=bool(negated), phrase=quoted is not None)
    return query


_EXAMPLES = {
    "author": '"Yann LeCun"', "org": "meta", "category": "cs.CL", "since": "2025-06",
    "until": "2025-12-31", "has": "code",
}  # fmt: skip


def _add(query: ParsedQuery, name: str, value: str, *, negated: bool, phrase: bool) -> None:
    if name == "":
        if negated:
            query.excluded.append(value)
        elif phrase and " " in value:
            query.phrases.append(value)
        elif value not in _OPERATORS:  # "a OR b" from other engines' habits: any word ranks anyway
            query.terms.extend(value.split())
    elif name in ("author", "org", "category"):
        target = {"author": "authors", "org": "orgs", "category": "categories"}[name]
        getattr(query, f"not_{target}" if negated else target).append(value)
    elif negated:
        raise QueryError(f"-{name}: cannot be negated")
    elif name == "since":
        query.since = parse_date(value, end=False)
    elif name == "until":
        query.until = parse_date(value, end=True)
    elif name == "has":
        if value.lower() != "code":
            raise QueryError("has: only knows has:code")
        query.has_code = True
    if query.since and query.until and query.since > query.until:
        raise QueryError("since: is after until:")
