"""Keyword rules and follows, matched against papers in memory.

A rule is a query in the ``/search`` language (``search.query``). As a rule it is a filter:
every free word and phrase must occur in the title or abstract (search ranks papers that
match *any* word; a rule that fired on one common word would flood the list), ``-word``
excludes, and ``author:``, ``org:``, ``category:``, ``since:``, ``until:``, ``has:code``
filter as in search.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dailypapers.search import ParsedQuery, parse_query
from dailypapers.store.records import normalise_name

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class PaperMeta:
    """What rules and follows look at; ``text`` is title + abstract."""

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    organization: str | None = None
    categories: tuple[str, ...] = ()
    published_on: dt.date | None = None
    has_code: bool = False


@dataclass(slots=True)
class _Prepared:
    words: set[str]
    folded: str
    authors: set[str] = field(default_factory=set)
    org: str = ""
    categories: set[str] = field(default_factory=set)


def _fold(text: str) -> str:
    return " " + " ".join(_WORD.findall(normalise_name(text))) + " "


def _prepare(meta: PaperMeta) -> _Prepared:
    folded = _fold(f"{meta.title} {meta.abstract}")
    return _Prepared(
        words=set(folded.split()), folded=folded,
        authors={normalise_name(a) for a in meta.authors},
        org=normalise_name(meta.organization or ""),
        categories={c.lower() for c in meta.categories},
    )  # fmt: skip


def _has(p: _Prepared, text: str) -> bool:
    folded = _fold(text)
    return folded.strip() != "" and (folded in p.folded)


def _person(p: _Prepared, name: str) -> bool:
    want = normalise_name(name)
    return any(want == a or want in a.split() or a.endswith(" " + want) for a in p.authors)


def _text_ok(q: ParsedQuery, p: _Prepared) -> bool:
    if not all(_has(p, t) for t in [*q.terms, *q.phrases]):
        return False
    return not any(_has(p, t) for t in q.excluded)


def _filters_ok(q: ParsedQuery, p: _Prepared, meta: PaperMeta) -> bool:
    checks = [
        all(_person(p, a) for a in q.authors),
        not any(_person(p, a) for a in q.not_authors),
        all(normalise_name(o) in p.org for o in q.orgs) if q.orgs else True,
        not any(normalise_name(o) in p.org for o in q.not_orgs if p.org),
        all(c.lower() in p.categories for c in q.categories),
        not any(c.lower() in p.categories for c in q.not_categories),
        q.has_code is None or meta.has_code,
    ]
    if q.since or q.until:
        day = meta.published_on
        checks.append(day is not None and (q.since or day) <= day <= (q.until or day))
    return all(checks)


def matches(query: ParsedQuery, meta: PaperMeta) -> bool:
    """Whether a paper satisfies a rule (see the module docstring for the semantics)."""
    if not (query.has_text or query.has_filters or query.excluded):
        return False
    prepared = _prepare(meta)
    return _text_ok(query, prepared) and _filters_ok(query, prepared, meta)


def compile_rule(text: str) -> ParsedQuery:
    """Parse a rule; raises ``search.query.QueryError`` with a message the user can act on."""
    return parse_query(text)


def follow_matches(kind: str, value: str, meta: PaperMeta) -> bool:
    """Whether a followed author, organization, category or search covers this paper."""
    if kind == "author":
        return normalise_name(value) in {normalise_name(a) for a in meta.authors}
    if kind == "org":
        return bool(meta.organization) and normalise_name(value) == normalise_name(
            meta.organization or ""
        )
    if kind == "category":
        return value.lower() in {c.lower() for c in meta.categories}
    if kind == "search":
        return matches(parse_query(value), meta)
    return False
