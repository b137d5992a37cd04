"""Jinja filters and globals for paper lists: dates, snippets, author lines, feed URLs.

Registered on the shared template environment by ``web.templating``; every template
(search results, organization pages, ...) can use them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment

from dailypapers.feed.windows import Window
from dailypapers.store.queries.papers import PaperView
from dailypapers.store.urls import clean_url

# Page sort names (short, for URLs) and the feed query sort each one means.
PAGE_SORTS: dict[str, str] = {"top": "upvotes", "new": "publishedAt", "trending": "trending"}
DEFAULT_SORT = "top"


def human_date(value: dt.date | dt.datetime | None, with_year: bool = True) -> str:
    """``18 Mar 2025`` (or ``18 Mar``); empty for None."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}" if with_year else f"{value.day} {value:%b}"


def snippet(text: str | None, length: int = 280) -> str:
    """The first ``length`` characters of ``text``, cut at a word boundary, with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "\u2026"


def author_line(paper: PaperView, shown: int = 4) -> str:
    """``A, B, C and 9 others``; ``6 authors`` when only the count is known."""
    names = paper.authors
    if not names:
        count = paper.num_authors
        return f"{count} author{'s' if count != 1 else ''}" if count else "Unknown authors"
    if len(names) <= shown:
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    rest = len(names) - shown + 1
    return ", ".join(names[: shown - 1]) + f" and {rest} others"


def safe_url(url: str | None) -> str | None:
    """``url`` when it passes the URL policy (``store.urls``: http(s) only); None otherwise."""
    return clean_url(url)


def paragraphs(text: str | None) -> list[str]:
    """Split an abstract on blank lines; arXiv's hard line breaks inside a paragraph go away."""
    chunks = re.split(r"\n\s*\n", (text or "").strip())
    return [" ".join(chunk.split()) for chunk in chunks if chunk.strip()]


def feed_url(
    window: Window | dt.date | None, sort: str | None = None, page: int | None = None
) -> str:
    """The page URL of a feed window (or day): ``/date/2025-03-18``, ``/week/2025-W12``, …

    ``None`` is the Trending list.
    """
    if isinstance(window, dt.date):
        window = Window.containing("day", window)
    if window is None:
        path = "/trending"
    else:
        path = {"day": "/date/", "week": "/week/", "month": "/month/"}[window.kind] + window.key
    params: dict[str, Any] = {}
    if sort and sort != DEFAULT_SORT and window is not None:
        params["sort"] = sort
    if page and page > 1:
        params["page"] = page
    return path + ("?" + urlencode(params) if params else "")


def register(env: Environment) -> None:
    """Add the filters and globals to a Jinja environment."""
    env.filters["human_date"] = human_date
    env.filters["snippet"] = snippet
    env.filters["author_line"] = author_line
    env.filters["safe_url"] = safe_url
    env.filters["paragraphs"] = paragraphs
    env.globals["feed_url"] = feed_url
