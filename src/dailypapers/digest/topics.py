"""Followed topics: what a subscriber asks for, and how a topic matches papers.

A topic is one line of text: ``category:cs.CL``, ``org:Google``, ``author:Yann LeCun``, or
anything else, which is a search query (``"diffusion model" -video``). Metadata topics match
exactly (after normalising case and accents); queries match every word (or quoted phrase) in
the title or abstract, minus ``-word`` exclusions, title hits ranking first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: its kind, its value, and the text the subscriber typed."""

    kind: TopicKind
    value: str
    raw: str

    @property
    def label(self) -> str:
        """A section heading for mails."""
        if self.kind == "category":
            return f"Category {self.value}"
        if self.kind == "org":
            return f"From {self.value}"
        if self.kind == "author":
            return f"By {self.value}"
        return f"Matching “{self.value}”"


def parse_topic(text: str) -> Topic:
    """``Topic`` of one line; the prefix decides the kind, anything else is a query."""
    raw = fold_spaces(text)
    match = _PREFIX.match(raw)
    if match and match.group(1).lower() in _PREFIXES:
        return Topic(_PREFIXES[match.group(1).lower()], match.group(2).strip(), raw)
    return Topic("query", raw, raw)


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
        required, phrases, _ = query_terms(raw)
        if parse_topic(raw).kind == "query" and not (required or phrases):
            raise TopicError(f"the topic {raw!r} has no word to search for")
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
