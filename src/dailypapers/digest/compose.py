"""Composing digests: which papers each subscriber gets, grouped by topic.

A digest covers the feed dates from the subscriber's last digest (or, the first time, the last
day or week) up to the run's date. Papers of that window are loaded once per window and each
topic is matched once per window (a cache shared by every subscriber of the run), which is
what makes 10,000 personalised digests cheap. Papers a subscriber was already mailed
(``digest_papers``) never come again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.digest.topics import Topic, parse_topic, words
from dailypapers.feed.windows import Window
from dailypapers.store.models import DigestPaper, FeedEntry, Paper, Subscription
from dailypapers.store.records import normalise_name

FIRST_SPAN = {"daily": 1, "weekly": 7}  # days a first digest looks back
MAX_SPAN = {"daily": 7, "weekly": 14}  # never look back further, even after an outage
# (subscription id, window, ids already used) → "For you" picks, best first (foryou.digest)
ForYouPicker = Callable[[int, Window, set[str]], list[str]]


def period_key(frequency: str, day: dt.date) -> str:
    """The send-log key of the digest period containing ``day``: ``daily:2025-03-18`` or
    ``weekly:2025-W12``."""
    if frequency == "weekly":
        return "weekly:" + Window.containing("week", day).key
    return f"daily:{day.isoformat()}"


def _stem(word: str) -> str:
    # Plural folding only: "transformers" finds "transformer" without a stemmer's surprises.
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


@dataclass(slots=True)
class MailPaper:
    """What a digest shows of a paper, plus the keys topic matching needs."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    author_count: int
    organization: str | None
    upvotes: int
    categories: list[str]
    feed_date: dt.date
    github_repo: str | None
    project_page: str | None
    arxiv_id: str | None
    trending_score: float
    title_words: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    text: str = ""
    title_text: str = ""
    author_keys: frozenset[str] = frozenset()
    category_keys: frozenset[str] = frozenset()
    org_key: str = ""

    def index(self) -> None:
        """Fill the matching keys (once per paper per run)."""
        title = words(self.title)
        body = words(self.abstract)
        self.title_words = frozenset(_stem(w) for w in title)
        self.words = self.title_words | frozenset(_stem(w) for w in body)
        self.title_text = " " + " ".join(title) + " "
        self.text = self.title_text + "| " + " ".join(body) + " "
        self.author_keys = frozenset(normalise_name(a) for a in self.authors)
        self.category_keys = frozenset(c.lower() for c in self.categories)
        self.org_key = normalise_name(self.organization or "")


@dataclass
class Section:
    """One heading of a digest and its papers."""

    label: str
    papers: list[MailPaper]
    topic: str | None = None
    more: int = 0  # further matches of the topic in the window, not in this mail
    more_url: str | None = None  # the topic's search on the site


@dataclass
class Digest:
    """Everything one mail says; ``paper_ids`` goes to the send log."""

    subscription_id: int
    email: str
    frequency: str
    period_key: str
    window: Window
    sections: list[Section] = field(default_factory=list)

    @property
    def paper_ids(self) -> list[str]:
        return [p.id for s in self.sections for p in s.papers]


class WindowPapers:
    """The papers that entered the feed in one window, with a per-topic match cache."""

    def __init__(self, papers: list[MailPaper]) -> None:
        self.papers = papers  # trending order
        self.by_id = {p.id: p for p in papers}
        # Only papers people voted for: the score alone also ranks unvoted papers by age.
        self.trending = [p for p in papers if p.upvotes > 0]
        self._matches: dict[str, list[str]] = {}
        self._index: dict[str, set[int]] | None = None

    def match(self, topic: Topic) -> list[str]:
        """Ids of the window's papers matching ``topic``, best first (cached)."""
        cached = self._matches.get(topic.raw)
        if cached is None:
            cached = self._matches[topic.raw] = self._match(topic)
        return cached

    def _match(self, topic: Topic) -> list[str]:
        """Text first (ranked), then every filter of the topic must hold."""
        if topic.terms or topic.phrases or topic.excluded:
            ids = self._match_query(topic.terms, topic.phrases, topic.excluded)
        else:
            ids = [p.id for p in self.papers]  # trending order
        filters = _filters(topic)
        if filters.none:
            return ids
        return [pid for pid in ids if filters.passes(self.by_id[pid])]

    def _match_query(
        self, required: Iterable[str], phrases: Iterable[str], excluded: Iterable[str]
    ) -> list[str]:
        phrases = list(phrases)
        need = {_stem(w) for w in required}
        postings = self._postings()
        # Phrase words narrow the candidates too; the phrase itself is checked on those only.
        narrowing = need | {_stem(w) for phrase in phrases for w in phrase.split()}
        if narrowing:
            sets = sorted((postings.get(w, set()) for w in narrowing), key=len)
            rows = set.intersection(*sets) if sets[0] else set()
        else:
            rows = set(range(len(self.papers)))
        for word in excluded:
            rows -= postings.get(_stem(word), set())
        scored = []
        for row in rows:
            paper = self.papers[row]
            if all(f" {phrase} " in paper.text for phrase in phrases):
                in_title = sum(f" {phrase} " in paper.title_text for phrase in phrases)
                scored.append((-len(need & paper.title_words) - in_title, row, paper.id))
        return [pid for _, _, pid in sorted(scored)]

    def _postings(self) -> dict[str, set[int]]:
        """Word → rows of the papers containing it (built on the first query of the window)."""
        if self._index is None:
            self._index = {}
            for row, paper in enumerate(self.papers):
                for word in paper.words:
                    self._index.setdefault(word, set()).add(row)
        return self._index


@dataclass(frozen=True, slots=True)
class _Filters:
    """A topic's filters with names normalised once (the keys ``MailPaper.index`` fills)."""

    categories: frozenset[str]
    not_categories: frozenset[str]
    authors: frozenset[str]
    not_authors: frozenset[str]
    orgs: tuple[str, ...]
    not_orgs: tuple[str, ...]
    has_code: bool | None

    @property
    def none(self) -> bool:
        return not (self.categories or self.not_categories or self.authors or self.not_authors
                    or self.orgs or self.not_orgs or self.has_code is not None)  # fmt: skip

    def passes(self, paper: MailPaper) -> bool:
        """Whether the paper meets every filter (categories, people, orgs, code)."""
        return (
            self.categories <= paper.category_keys
            and not self.not_categories & paper.category_keys
            and self.authors <= paper.author_keys
            and not self.not_authors & paper.author_keys
            and all(o in paper.org_key for o in self.orgs)
            and not any(o in paper.org_key for o in self.not_orgs)
            and (self.has_code is None or bool(paper.github_repo) == self.has_code)
        )


@functools.lru_cache(maxsize=4096)
def _filters(topic: Topic) -> _Filters:
    return _Filters(
        categories=frozenset(c.lower() for c in topic.categories),
        not_categories=frozenset(c.lower() for c in topic.not_categories),
        authors=frozenset(normalise_name(a) for a in topic.authors),
        not_authors=frozenset(normalise_name(a) for a in topic.not_authors),
        orgs=tuple(normalise_name(o) for o in topic.orgs),
        not_orgs=tuple(normalise_name(o) for o in topic.not_orgs),
        has_code=topic.has_code,
    )


def load_window(session: Session, window: Window) -> WindowPapers:
    """The window's papers, most trending first."""
    rows = session.execute(
        select(
            Paper.id, Paper.title, Paper.abstract, Paper.authors, Paper.author_count,
            Paper.organization, Paper.upvotes, Paper.categories, FeedEntry.feed_date,
            Paper.github_repo, Paper.project_page, Paper.arxiv_id, Paper.trending_score,
        )
        .join(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(FeedEntry.feed_date >= window.start, FeedEntry.feed_date <= window.end)
        .order_by(
            Paper.trending_score.desc(), Paper.upvotes.desc(), FeedEntry.feed_date.desc(),
            Paper.id,
        )
    ).all()  # fmt: skip
    papers = [MailPaper(*tuple(row)) for row in rows]
    for paper in papers:
        paper.authors = list(paper.authors or [])
        paper.categories = list(paper.categories or [])
        paper.index()
    return WindowPapers(papers)


class Composer:
    """Builds the digests of one run; windows and topic matches are shared across subscribers."""

    def __init__(
        self, session: Session, settings: Settings, as_of: dt.date,
        for_you: ForYouPicker | None = None,
    ) -> None:  # fmt: skip
        self.session = session
        self.settings = settings
        self.as_of = as_of
        self.for_you = for_you
        self._windows: dict[Window, WindowPapers] = {}

    def window_for(self, sub: Subscription) -> Window:
        """From the last digest's date (inclusive: papers may have arrived after it) to today."""
        start = self.as_of - dt.timedelta(days=FIRST_SPAN.get(sub.frequency, 1))
        if sub.last_digest_at is not None:
            start = sub.last_digest_at.date()
        earliest = self.as_of - dt.timedelta(days=MAX_SPAN.get(sub.frequency, 7))
        return Window.between(min(max(start, earliest), self.as_of), self.as_of)

    def papers(self, window: Window) -> WindowPapers:
        if window not in self._windows:
            self._windows[window] = load_window(self.session, window)
        return self._windows[window]

    def seen(self, subscription_ids: list[int]) -> dict[int, set[str]]:
        """Papers each subscriber was already mailed (batched, one query)."""
        seen: dict[int, set[str]] = defaultdict(set)
        for chunk_start in range(0, len(subscription_ids), 500):
            chunk = subscription_ids[chunk_start : chunk_start + 500]
            rows = self.session.execute(
                select(DigestPaper.subscription_id, DigestPaper.paper_id).where(
                    DigestPaper.subscription_id.in_(chunk)
                )
            )
            for sid, pid in rows:
                seen[sid].add(pid)
        return seen

    def compose(self, sub: Subscription, seen: set[str]) -> Digest | None:
        """The digest for ``sub``, or None when there is nothing new to say."""
        window = self.window_for(sub)
        papers = self.papers(window)
        digest = Digest(sub.id, sub.email, sub.frequency, period_key(sub.frequency, self.as_of),
                        window)  # fmt: skip
        used = set(seen)
        if self.for_you is not None:  # first: the subscriber's own ranking of the window
            picks = [
                papers.by_id[i] for i in self.for_you(sub.id, window, used) if i in papers.by_id
            ]
            chosen = self._take(picks, used, len(picks))
            if chosen:
                digest.sections.append(Section("For you", chosen, "for-you"))
        trending = self._take(papers.trending, used, self.settings.digest_trending_papers)
        if trending:
            digest.sections.append(Section("Trending", trending))
        for raw in sub.topics or []:
            topic = parse_topic(raw)
            ids = papers.match(topic)
            chosen = self._take((papers.by_id[i] for i in ids), used,
                                self.settings.digest_papers_per_topic)  # fmt: skip
            if chosen:
                more = sum(1 for i in ids if i not in used)
                digest.sections.append(Section(topic.label, chosen, topic.raw, more,
                                               self._search_url(topic, window)))  # fmt: skip
        return digest if digest.sections else None

    def _search_url(self, topic: Topic, window: Window) -> str:
        query = f"{topic.search_query} since:{window.start.isoformat()}"
        return f"{self.settings.base_url.rstrip('/')}/search?{urlencode({'q': query})}"

    @staticmethod
    def _take(candidates: Iterable[MailPaper], used: set[str], limit: int) -> list[MailPaper]:
        chosen: list[MailPaper] = []
        for paper in candidates:
            if len(chosen) >= limit:
                break
            if paper.id not in used:
                used.add(paper.id)
                chosen.append(paper)
        return chosen
