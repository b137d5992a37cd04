"""Follows (authors, organizations, arXiv categories, saved searches) and matching them.

Follows are stored by the library package (issue 10); :func:`load_follows` reads them through
``dailypapers.library.follows.list_follows`` once that is installed, and finds none until
then. Callers (tests, the benchmark) may pass their own source.

Matching runs in memory over the papers of one alert batch or digest window: author and
organization names compare normalised (accents, case, spaces), categories exactly, and a
saved search uses the ``/search`` query language with every free word required (an alert
should be precise; the search page ranks by any word instead).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dailypapers.search import ParsedQuery, QueryError, parse_query
from dailypapers.store.queries.papers import FeedItem, org_slug
from dailypapers.store.records import normalise_name

KINDS = ("author", "org", "category", "search")


@dataclass(frozen=True)
class Follow:
    kind: str
    value: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.value}" if self.kind != "search" else f"search {self.value!r}"


FollowSource = Callable[[Session, list[int]], dict[int, list[Follow]]]


def load_follows(session: Session, user_ids: list[int]) -> dict[int, list[Follow]]:
    """The follows of these users, from the library package when it is installed
    (``library.follows.list_follows``); none until then."""
    try:
        library = importlib.import_module("dailypapers.library.follows")
    except ModuleNotFoundError:
        return {}
    rows = {uid: library.list_follows(session, uid) for uid in user_ids}
    return {uid: [Follow(r.kind, r.value) for r in found] for uid, found in rows.items() if found}


class PaperIndex:
    """The papers of a batch or window, indexed for matching many follows at once."""

    def __init__(self, items: Iterable[FeedItem]) -> None:
        self.items = list(items)
        self.by_author: dict[str, list[FeedItem]] = {}
        self.by_org: dict[str, list[FeedItem]] = {}
        self.by_category: dict[str, list[FeedItem]] = {}
        self._text: dict[str, str] = {}
        for item in self.items:
            p = item.paper
            for name in p.authors:
                self.by_author.setdefault(normalise_name(name), []).append(item)
            if p.organization:
                self.by_org.setdefault(org_slug(p.organization), []).append(item)
            for cat in p.categories:
                self.by_category.setdefault(cat.lower(), []).append(item)
            self._text[p.id] = f"{p.title} {p.abstract}".lower()
        self._queries: dict[str, ParsedQuery | None] = {}

    def matches(self, follow: Follow) -> list[FeedItem]:
        if follow.kind == "author":
            return self.by_author.get(normalise_name(follow.value), [])
        if follow.kind == "org":
            return self.by_org.get(org_slug(follow.value), [])
        if follow.kind == "category":
            return self.by_category.get(follow.value.strip().lower(), [])
        if follow.kind == "search":
            query = self._query(follow.value)
            return [i for i in self.items if query is not None and self._passes(query, i)]
        return []

    def _query(self, text: str) -> ParsedQuery | None:
        if text not in self._queries:
            try:
                self._queries[text] = parse_query(text)
            except QueryError:
                self._queries[text] = None
        return self._queries[text]

    def _passes(self, q: ParsedQuery, item: FeedItem) -> bool:
        p, text = item.paper, self._text[item.paper.id]
        authors = {normalise_name(a) for a in p.authors}
        org = org_slug(p.organization) if p.organization else ""
        cats = {c.lower() for c in p.categories}
        day = item.feed_date or p.published_on
        checks = [
            all(t.lower() in text for t in q.terms),
            all(ph.lower() in text for ph in q.phrases),
            not any(x.lower() in text for x in q.excluded),
            all(normalise_name(a) in authors for a in q.authors),
            not any(normalise_name(a) in authors for a in q.not_authors),
            all(org_slug(o) == org for o in q.orgs),
            not any(org_slug(o) == org for o in q.not_orgs),
            all(c.lower() in cats for c in q.categories),
            not any(c.lower() in cats for c in q.not_categories),
            q.since is None or (day is not None and day >= q.since),
            q.until is None or (day is not None and day <= q.until),
            q.has_code is None or bool(p.github_repo) == q.has_code,
        ]
        return all(checks) and (q.has_text or q.has_filters)


def matched(index: PaperIndex, follows: list[Follow], limit: int) -> list[tuple[FeedItem, str]]:
    """Papers matching any follow (first match gives the note), newest first, at most ``limit``."""
    found: dict[str, tuple[FeedItem, str]] = {}
    for follow in follows:
        for item in index.matches(follow):
            found.setdefault(item.paper.id, (item, f"you follow {follow.label}"))
    ordered = sorted(found.values(), key=lambda pair: _newest(pair[0]), reverse=True)
    return ordered[:limit]


def _newest(item: FeedItem) -> tuple[dt.date, str]:
    return (item.feed_date or item.paper.published_on or dt.date.min, item.paper.id)
