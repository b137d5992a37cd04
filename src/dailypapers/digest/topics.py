"""Followed topics: what a subscriber asks for, and how a topic matches papers.

A topic is one line in the search box language, limited to what a digest can honour: words
and ``"quoted phrases"`` (all must appear in the title or abstract), ``-word`` exclusions,
``category:cs.CL``, ``author:"Yann LeCun"``, ``org:Google`` (each may be negated) and
``has:code``, all of which must hold; title hits rank first. ``since:`` and ``until:`` are
refused with a message: a digest covers the papers since the previous digest. Metadata
filters match exactly (after normalising case and accents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dailypapers.search import QueryError, parse_query
from dailypapers.store.records import fold_spaces, normalise_name

MAX_TOPICS = 10
MAX_TOPIC_LENGTH = 120
TopicKind = Literal["query", "category", "org", "author"]

_PREFIXES: dict[str, TopicKind] = {
    "category": "category",
    "cat": "category",
    "org": "org",
    "organization": "org",
    "author": "author",
}
_PREFIX = re.compile(r"^\s*([a-z]+)\s*:\s*(.+)$", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_QUERY_PART = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "via",
        "using",
    ]
)


class TopicError(ValueError):
    """A topic list that cannot be followed; the message says why."""


_LEGACY_NAME = re.compile(r'^(author|org|organization)\s*:\s*([^":]+)$', re.IGNORECASE)
_ALIASES = re.compile(r"(^|\s)(-?)(cat|organization)\s*:\s*", re.IGNORECASE)
_REFUSED = {
    "since": "since: and until: do not apply to a digest topic: every digest already holds "
    "the papers that arrived since the one before",
}


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: the search-language filters a digest honours, and the text typed.

    Words must all appear (title or abstract), quoted phrases too, ``-word`` excludes;
    ``category:``, ``author:``, ``org:`` (each may be negated with ``-``) and ``has:code``
    must all hold. ``since:``/``until:`` are refused (see :func:`parse_topic`).
    """

    raw: str
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    not_categories: tuple[str, ...] = ()
    not_authors: tuple[str, ...] = ()
    not_orgs: tuple[str, ...] = ()
    has_code: bool | None = None

    @property
    def filters(self) -> list[tuple[TopicKind, str]]:
        found: list[tuple[TopicKind, str]] = [("category", c) for c in self.categories]
        found += [("author", a) for a in self.authors]
        return found + [("org", o) for o in self.orgs]

    @property
    def kind(self) -> TopicKind:
        """``query`` unless the topic is exactly one category, org or author filter."""
        only = self.filters
        simple = len(only) == 1 and not (self.terms or self.phrases or self.excluded
                                          or self.has_code or self.negated)  # fmt: skip
        return only[0][0] if simple else "query"

    @property
    def value(self) -> str:
        return self.filters[0][1] if self.kind != "query" else self.raw

    @property
    def negated(self) -> bool:
        return bool(self.not_categories or self.not_authors or self.not_orgs)

    @property
    def text(self) -> str:
        """The words and phrases, as one line without quotes."""
        return " ".join([*self.phrases, *self.terms])

    @property
    def label(self) -> str:
        """A section heading for mails: ``Matching “mixture of experts”, with code``."""
        single = {"category": "Category {}", "org": "From {}", "author": "By {}"}
        if self.kind != "query":
            return single[self.kind].format(self.value)
        parts = [f"in {c}" for c in self.categories] + [f"by {a}" for a in self.authors]
        parts += [f"from {o}" for o in self.orgs]
        parts += ["with code"] if self.has_code else []
        parts += [f"not “{w}”" for w in self.excluded]
        parts += [f"not in {c}" for c in self.not_categories]
        parts += [f"not by {a}" for a in self.not_authors]
        parts += [f"not from {o}" for o in self.not_orgs]
        if self.text:
            return " ".join([f"Matching “{self.text}”", ", ".join(parts)]).strip()
        return ", ".join(parts).capitalize() if parts else self.raw

    @property
    def search_query(self) -> str:
        """The same topic in the search box language (for "more on the site" links)."""

        def quoted(value: str) -> str:
            return f'"{value}"' if " " in value else value

        parts = [f'"{p}"' for p in self.phrases] + list(self.terms)
        parts += [f"-{quoted(w)}" for w in self.excluded]
        for name, values, negated in (
            ("category", self.categories, ""), ("author", self.authors, ""),
            ("org", self.orgs, ""), ("category", self.not_categories, "-"),
            ("author", self.not_authors, "-"), ("org", self.not_orgs, "-"),
        ):  # fmt: skip
            parts += [f"{negated}{name}:{quoted(v)}" for v in values]
        return " ".join(parts + (["has:code"] if self.has_code else []))


def _canonical_prefix(match: re.Match[str]) -> str:
    name = "category" if match.group(3).lower() == "cat" else "org"
    return f"{match.group(1)}{match.group(2)}{name}:"


def parse_topic(text: str) -> Topic:
    """The ``Topic`` of one line; :class:`TopicError` when it asks for what a digest cannot do.

    ``author:``/``org:`` followed by an unquoted name take the rest of the line (``author:Yann
    LeCun``); to add words, quote the name (``author:"Yann LeCun" diffusion``).
    """
    raw = fold_spaces(text)
    legacy = _LEGACY_NAME.match(raw)
    if legacy:
        name = "author" if legacy.group(1).lower() == "author" else "org"
        query_text = f'{name}:"{fold_spaces(legacy.group(2))}"'
    else:
        query_text = _ALIASES.sub(_canonical_prefix, raw)
    try:
        query = parse_query(query_text)
    except QueryError as exc:
        raise TopicError(f"the topic {raw!r}: {exc}") from None
    if query.since or query.until:
        raise TopicError(f"the topic {raw!r}: {_REFUSED['since']}")
    terms = [w for term in query.terms for w in words(term) if w not in _STOPWORDS]
    phrases = [" ".join(words(p)) for p in query.phrases if words(p)]
    excluded = [w for e in query.excluded for w in words(e)]
    topic = Topic(
        raw, tuple(terms), tuple(phrases), tuple(excluded), tuple(query.categories),
        tuple(query.authors), tuple(query.orgs), tuple(query.not_categories),
        tuple(query.not_authors), tuple(query.not_orgs), query.has_code,
    )  # fmt: skip
    if not (topic.terms or topic.phrases or topic.filters or topic.has_code):
        raise TopicError(f"the topic {raw!r} has no word or filter to follow")
    return topic


def clean_topics(topics: list[str] | tuple[str, ...]) -> list[str]:
    """Validated, de-duplicated topic lines; :class:`TopicError` with a reason when too many."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for text in topics:
        if not isinstance(text, str):
            raise TopicError("topics must be strings")
        raw = fold_spaces(text)
        if not raw:
            continue
        if len(raw) > MAX_TOPIC_LENGTH:
            raise TopicError(f"a topic may be at most {MAX_TOPIC_LENGTH} characters long")
        parse_topic(raw)  # refuses what a digest cannot honour, with the reason
        if raw.lower() not in seen:
            seen.add(raw.lower())
            cleaned.append(raw)
    if len(cleaned) > MAX_TOPICS:
        raise TopicError(f"at most {MAX_TOPICS} topics, please")
    return cleaned


def topics_from_text(text: str) -> list[str]:
    """Topics typed one per line (or separated by ``;``) in a form."""
    return clean_topics([part for line in text.splitlines() for part in line.split(";")])


def words(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (accents folded), as the keyword matcher sees them."""
    return _WORD.findall(normalise_name(text))


def query_terms(query: str) -> tuple[list[str], list[str], list[str]]:
    """``(required words, required phrases, excluded words)`` of a query topic."""
    required: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    for neg_phrase, phrase, neg_word, word in _QUERY_PART.findall(query):
        if phrase:
            tokens = " ".join(words(phrase))
            if tokens and neg_phrase:
                excluded.extend(words(phrase))
            elif tokens:
                phrases.append(tokens)
            continue
        for token in words(word):
            if neg_word:
                excluded.append(token)
            elif token not in _STOPWORDS:
                required.append(token)
    return required, phrases, excluded
