"""The Daily Papers page text format: a saved Hugging Face "Daily Papers" result page.

An entry is a title line, an abstract line and, optionally, a byline block::

    <title>
    <abstract>
      • 6 authors            (or an organization line: "<org-slug> <Org Full Name>")
    ·
    Jul 21, 2023 1           (date; the trailing number is the upvote count)

Blank lines between fields are optional. The page's chrome ("Get trending papers…",
"Subscribe", "Daily Papers", "byAK and the research community", the page date) precedes the
first entry and may be glued to the first title ("SubscribeHow Post-Training…").

Dates without a year lie in the page's own year (the page leaves the year out only for
those). That year is ``year`` when given; otherwise it is inferred: one more than the newest
year written on the page (written years are all earlier), but never after the current year;
a page that writes no year at all is taken to be from the current year. An entry without a
date enters the feed on the page date, or on the day of the import when the page shows none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from itertools import pairwise

from dailypapers.ingest.entries import Entry
from dailypapers.store.records import PaperRecord, fold_spaces

_CHROME = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
    "byAK and the research community",
    "Daily Papers",
    "Subscribe",
)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
)}  # fmt: skip
_MONTH = r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(_MONTH + r" (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<upvotes>\d+))?$")
_PAGE_DATE_GLUED = re.compile(_MONTH + r" (?P<day>\d{1,2})(?P<rest>[A-Z].*)?$")
_AUTHORS = re.compile(r"^[•·*-]\s*(?P<n>\d+)\s+authors?$", re.IGNORECASE)
_DOT = "·"


def parse_pages(
    lines: Iterable[str], year: int | None = None, today: dt.date | None = None
) -> Iterator[Entry]:
    """Entries of one page file; ``year`` overrides the page year of dates written without one."""
    today = today or dt.datetime.now(dt.UTC).date()
    numbered = [(n, line.strip()) for n, line in enumerate(lines, 1)]
    numbered = [(n, text) for n, text in numbered if text]
    body, page_date = _strip_chrome(numbered)
    page_year = year or _infer_year(body, today)
    dated = _safe_date(page_year, *page_date) if page_date is not None else None
    blocks = _split_entries(body)
    fallback = dated or today
    for block in blocks:
        yield _entry(block, page_year, fallback)


def _strip_chrome(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], tuple | None]:
    """Drop the page header; returns the remaining lines and the page's (month, day)."""
    page_date = None
    for i, (n, text) in enumerate(lines):
        rest = _strip_glued_chrome(text)
        if not rest or rest == "new":
            continue
        match = _PAGE_DATE_GLUED.match(rest)
        if match and page_date is None:
            page_date = (_MONTHS[match["month"][:3].lower()], int(match["day"]))
            rest = match["rest"] or ""
            if not rest:
                continue
        return [(n, rest), *lines[i + 1 :]], page_date
    return [], page_date


def _strip_glued_chrome(text: str) -> str:
    changed = True
    while changed and text:
        changed = False
        for phrase in _CHROME:
            if text.startswith(phrase):
                text, changed = text[len(phrase) :].strip(), True
    return text


def _infer_year(lines: list[tuple[int, str]], today: dt.date) -> int:
    written = [int(m["year"]) for _, text in lines if (m := _DATE.match(text)) and m["year"]]
    return min(max(written) + 1, today.year) if written else today.year


def _split_entries(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Group lines into entries: title, abstract, then an optional ``byline, ·, date`` block."""
    blocks: list[list[tuple[int, str]]] = []
    i = 0
    while i < len(lines):
        end = i + 2
        if end < len(lines) and lines[end][1] == _DOT:  # "·" without a byline
            end += 2
        elif end + 1 < len(lines) and lines[end + 1][1] == _DOT:
            end += 3
        if end > i + 2 and end <= len(lines) and not _DATE.match(lines[end - 1][1]):
            end -= 1  # no date after "·": stop there so the next entry is read in step
        blocks.append(lines[i : min(end, len(lines))])
        i = end
    return blocks


def _entry(block: list[tuple[int, str]], page_year: int, fallback: dt.date) -> Entry:
    line, title = block[0]
    if title == _DOT or _AUTHORS.match(title) or _DATE.match(title):
        return Entry.bad(line, f"expected a paper title, found {title[:60]!r}")
    if len(block) < 2:
        return Entry.bad(line, f"entry {title[:60]!r} has no abstract (truncated page?)")
    record = PaperRecord(title=fold_spaces(title), abstract=block[1][1], source="pages")
    if len(block) > 2:
        error = _apply_byline(record, block[2:], page_year)
        if error:
            return Entry.bad(error[0], error[1])
    record.feed_date = record.published_on or fallback
    return Entry(line=line, record=record)


def _apply_byline(
    record: PaperRecord, meta: list[tuple[int, str]], page_year: int
) -> tuple[int, str] | None:
    """Fill author count/organization, date and upvotes; returns (line, reason) when unreadable."""
    if len(meta) == 3:
        byline = meta[0][1]
        if match := _AUTHORS.match(byline):
            record.author_count = int(match["n"])
        else:
            slug, _, fullname = byline.partition(" ")
            record.organization = (fullname or slug).strip()
    line, text = meta[-1]
    if len(meta) < 2 or meta[-1][1] == _DOT:
        return line, "byline '·' is not followed by a date"
    match = _DATE.match(text)
    if not match:
        return line, f"unreadable date {text[:40]!r} (expected e.g. 'Jul 21, 2023 4')"
    year = int(match["year"]) if match["year"] else page_year
    date = _safe_date(year, _MONTHS[match["month"][:3].lower()], int(match["day"]))
    if date is None:
        return line, f"no such date {text[:40]!r}"
    record.published_on = date
    record.upvotes = int(match["upvotes"]) if match["upvotes"] else None
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def looks_like_pages(head: str) -> bool:
    """Whether the start of a file reads like a Daily Papers page (used by format detection):
    the page header near the top, or a ``·`` line followed by an entry date."""
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    if any(line.startswith(_CHROME) for line in lines[:12]):
        return True
    return any(a == _DOT and _DATE.match(b) for a, b in pairwise(lines))
