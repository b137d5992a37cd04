"""RIS (EndNote, Zotero, Mendeley, Scholar): split into records by line, each read by rispy,
so that one broken record is reported with its line number and the others are kept."""

from __future__ import annotations

import html
import re

import nh3
import rispy

from dailypapers.library.formats.entries import (
    Entry,
    ParsedFile,
    Problem,
    arxiv_from_doi,
    arxiv_in_text,
    clean_doi,
    year_of,
)

_START = re.compile(r"^TY  - ")
_END = re.compile(r"^ER  -")
_NUMBERING = re.compile(r"^\d+\.$")  # rispy's and some tools' record numbers


def _records(text: str) -> tuple[list[tuple[int, str]], list[Problem]]:
    records: list[tuple[int, str]] = []
    problems: list[Problem] = []
    start, lines = 0, list[str]()
    for number, line in enumerate(text.splitlines(), 1):
        if _START.match(line):
            if lines:
                problems.append(Problem(start, "record without an end (ER  -) was skipped"))
            start, lines = number, [line]
        elif lines:
            lines.append(line)
            if _END.match(line):
                records.append((start, "\n".join(lines) + "\n"))
                lines = []
        elif line.strip() and not _NUMBERING.match(line.strip()):
            problems.append(Problem(number, f"text outside a RIS record: {line.strip()[:60]!r}"))
    if lines:
        problems.append(Problem(start, "record without an end (ER  -) was skipped"))
    return records, problems


def _first(record: dict, *keys: str) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _list(record: dict, key: str) -> list[str]:
    value = record.get(key) or []
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def _display_name(name: str) -> str:
    if name.count(",") >= 1:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}".strip()
    return name.strip()


def to_entry(line: int, record: dict) -> Entry:
    urls = _list(record, "urls") + _list(record, "url")
    doi = clean_doi(_first(record, "doi"))
    notes = _list(record, "notes")
    hints = [*urls, _first(record, "journal_name", "secondary_title", "alternate_title3"),
             _first(record, "number"), _first(record, "note"), *notes,
             _first(record, "accession_number")]  # fmt: skip
    note = "\n".join(notes).strip()
    if note.startswith("<"):  # Zotero writes its notes as HTML: keep the text
        note = html.unescape(nh3.clean(note, tags=set())).strip()
    if arxiv_in_text(note) and len(note) < 60:  # Zotero's "arXiv:ID [cs]" is not a user note
        note = ""
    return Entry(
        line=line, key=_first(record, "id"), title=" ".join(_first(record, "title",
        "primary_title").split()),
        authors=[_display_name(a) for a in _list(record, "authors") + _list(record,
                 "first_authors")],
        year=year_of(_first(record, "year", "publication_year", "date")),
        arxiv_id=arxiv_from_doi(doi) or arxiv_in_text(*hints), doi=doi,
        url=urls[0] if urls else None, tags=[k.strip() for k in _list(record, "keywords")
                                             if k.strip()],
        note=note,
    )  # fmt: skip


def parse_ris(text: str) -> ParsedFile:
    """Entries of a RIS file; broken records become problems, the rest is kept."""
    records, problems = _records(text)
    result = ParsedFile("ris", problems=problems)
    for line, chunk in records:
        try:
            parsed = rispy.loads(chunk)
        except Exception as exc:  # rispy raises several types on malformed input
            result.problems.append(Problem(line, f"this RIS record could not be read ({exc})"))
            continue
        for record in parsed:
            result.entries.append(to_entry(line, record))
    result.problems.sort(key=lambda p: p.line)
    return result
