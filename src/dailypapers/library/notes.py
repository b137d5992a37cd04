"""Notes on saved papers: plain text or Markdown, always rendered to safe HTML.

Markdown goes through markdown-it-py in its ``js-default`` preset with raw HTML disabled
(``<script>`` is shown as text, ``javascript:`` links are refused), then through nh3 (the
Ammonia sanitizer) with a short allow-list, as a second wall; links get
``rel="nofollow noopener ugc"``. Plain text is escaped and keeps its line breaks.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

from dailypapers.errors import Invalid

MAX_NOTE = 20_000
FORMATS = ("markdown", "plain")
_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "del",
    "s",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def clean_note(text: object, note_format: object = "markdown") -> tuple[str, str]:
    """The note and its format, validated: ``Invalid`` when too long or an unknown format."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise Invalid("A note is text.")
    if note_format not in FORMATS:
        raise Invalid(f"A note's format is one of {', '.join(FORMATS)}.")
    text = text.replace("\r\n", "\n").replace("\x00", "")
    if len(text) > MAX_NOTE:
        raise Invalid(f"Notes have at most {MAX_NOTE:,} characters.")
    return text.strip("\n"), str(note_format)


def render_note(text: str, note_format: str = "markdown") -> str:
    """Safe HTML for a note (an empty string for an empty note)."""
    if not text.strip():
        return ""
    if note_format == "plain":
        return '<p class="note-plain">' + html.escape(text).replace("\n", "<br>") + "</p>"
    raw = _markdown().render(text)
    return nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        link_rel="nofollow noopener ugc",
        url_schemes={"http", "https", "mailto"},
    )
