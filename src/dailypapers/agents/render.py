"""Compact text for agents: one line per paper, so that a page of 20 costs about 1,000 tokens.

``2503.01234 | 2025-03-18 | 12 upvotes | Title | First sentence of the abstract.``
"""

from __future__ import annotations

import re

from dailypapers.store.queries.papers import FeedItem

ONE_LINE_CHARS = 200
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_SPACES = re.compile(r"\s+")


def one_line(text: str, limit: int = ONE_LINE_CHARS) -> str:
    """The first sentence of ``text`` on one line, cut at ``limit`` characters."""
    flat = _SPACES.sub(" ", text or "").strip()
    first = _SENTENCE_END.split(flat, maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def paper_line(item: FeedItem, extra: str = "") -> str:
    """One paper: id, date, upvotes, title, one-line abstract (``|`` in text becomes ``/``)."""
    p = item.paper
    day = item.feed_date or p.published_on
    fields = [
        p.id, day.isoformat() if day else "-", f"{p.upvotes} upvotes",
        p.title.replace("|", "/"), one_line(p.abstract).replace("|", "/"),
    ]  # fmt: skip
    if extra:
        fields.append(extra)
    return " | ".join(_SPACES.sub(" ", f) for f in fields)


def paper_list(header: str, items: list[FeedItem], more: str | None = None) -> str:
    """A header line, one line per paper, and how to get the next page (if any)."""
    lines = [header, *(paper_line(i) for i in items)]
    if not items:
        lines.append("(no papers)")
    if more:
        lines.append(more)
    return "\n".join(lines)
