"""The JSON of Hugging Face's ``/api/daily_papers``: a list of daily entries.

Each entry looks like ``{"paper": {"id", "title", "summary", "authors": [{"name", ...}],
"publishedAt", "submittedOnDailyAt", "submittedOnDailyBy", "upvotes", "githubRepo",
"githubStars", "projectPage", "ai_summary", ...}, "title", "summary", "publishedAt",
"submittedBy", "organization": {"name", "fullname"}, "numComments", "thumbnail", ...}``.
``hf_daily_record`` maps one entry (or a bare ``paper`` object, the ``/api/papers/{id}``
shape) to a record; the live ingester reuses it for the JSON it fetches over HTTP.

The feed date is the day the paper entered the daily list: ``paper.submittedOnDailyAt``,
else the entry's ``publishedAt``, else the paper's ``publishedAt``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from dailypapers.ingest.entries import Entry, parse_iso_date
from dailypapers.store.records import PaperRecord, fold_spaces, parse_arxiv_id

_DECODER = json.JSONDecoder()


def hf_daily_record(item: dict[str, Any]) -> PaperRecord:
    """One daily-papers entry (or bare paper object) as a record; ``ValueError`` when unusable."""
    if not isinstance(item, dict):
        raise ValueError("expected a JSON object")
    nested = item.get("paper")
    paper: dict[str, Any] = nested if isinstance(nested, dict) else item
    title = _str(item.get("title")) or _str(paper.get("title"))
    if not title.strip():
        raise ValueError("entry has no title")
    parsed = parse_arxiv_id(_str(paper.get("id")))
    return PaperRecord(
        arxiv_id=parsed[0] if parsed else None,
        title=fold_spaces(title),
        abstract=(_str(paper.get("summary")) or _str(item.get("summary"))).strip(),
        authors=_authors(paper.get("authors")),
        published_on=parse_iso_date(paper.get("publishedAt")),
        upvotes=_int(paper.get("upvotes")),
        num_comments=_int(item.get("numComments")),
        organization=_organization(item.get("organization") or paper.get("organization")),
        github_repo=_str(_first(item, paper, "githubRepo")) or None,
        github_stars=_int(_first(item, paper, "githubStars")),
        project_page=_str(_first(item, paper, "projectPage")) or None,
        source="hf",
        feed_date=parse_iso_date(paper.get("submittedOnDailyAt"))
        or parse_iso_date(item.get("publishedAt") if item is not paper else None)
        or parse_iso_date(paper.get("publishedAt")),
        submitter_name=_submitter(item.get("submittedBy") or paper.get("submittedOnDailyBy")),
    )


def parse_hf_daily(text: str) -> Iterator[Entry]:
    """Entries of a daily-papers JSON document: a list, one object, or one object a line."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _parse_array(text)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield _entry(number, orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                yield Entry.bad(number, f"not valid JSON ({exc.args[0].split(':')[0]})")


def _parse_array(text: str) -> Iterator[Entry]:
    """Walk the top-level list element by element, so each entry keeps its line number."""
    pos, line, counted = text.index("[") + 1, 1, 0
    while True:
        pos = _skip(text, pos, ",")
        if pos >= len(text):
            yield Entry.bad(text.count("\n") + 1, "JSON list is not closed (truncated file?)")
            return
        if text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            obj, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            # after a syntax error the rest of the list cannot be split reliably
            yield Entry.bad(exc.lineno, f"not valid JSON ({exc.msg}); rest of the file skipped")
            return
        yield _entry(line, obj)


def _skip(text: str, pos: int, extra: str = "") -> int:
    while pos < len(text) and (text[pos].isspace() or text[pos] in extra):
        pos += 1
    return pos


def _entry(line: int, obj: object) -> Entry:
    try:
        return Entry(line=line, record=hf_daily_record(obj))  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError) as exc:
        return Entry.bad(line, str(exc) or "unreadable entry")


def _first(item: dict, paper: dict, key: str) -> Any:
    value = paper.get(key)
    return value if value not in (None, "") else item.get(key)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _authors(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    # HF marks authors its page does not show as ``hidden``; mirror the page
    names = (
        (a.get("name") if not a.get("hidden") else None) if isinstance(a, dict) else a
        for a in value
    )
    return [fold_spaces(n) for n in names if isinstance(n, str) and n.strip()]


def _organization(value: object) -> str | None:
    if isinstance(value, dict):
        return _str(value.get("fullname")) or _str(value.get("name")) or None
    return _str(value) or None


def _submitter(value: object) -> str | None:
    """The submitter's user name (``name`` in entries, ``user`` in ``submittedOnDailyBy``)."""
    if not isinstance(value, dict):
        return None
    return _str(value.get("name")) or _str(value.get("user")) or None
