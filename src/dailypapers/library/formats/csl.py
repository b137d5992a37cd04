"""CSL JSON (Zotero's and Mendeley's "CSL JSON" export): a JSON array of items.

Items are decoded one by one with the standard decoder's ``raw_decode`` so that each keeps
the line it starts on (for problem reports); a syntax error stops reading there and is
reported with its line, the items before it are kept.
"""

from __future__ import annotations

import json

from dailypapers.library.formats.entries import (
    Entry,
    ParsedFile,
    Problem,
    arxiv_from_doi,
    arxiv_in_text,
    clean_doi,
    split_tags,
    year_of,
)


def _name(author: object) -> str:
    if not isinstance(author, dict):
        return ""
    if author.get("literal"):
        return str(author["literal"])
    parts = [author.get("given"), author.get("non-dropping-particle"), author.get("family")]
    return " ".join(str(p) for p in parts if p)


def _year(item: dict) -> int | None:
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return year_of(parts[0][0])
        return year_of(issued.get("raw") or issued.get("literal"))
    return year_of(issued)


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    return " ".join(str(value).split()) if isinstance(value, str | int) else ""


def to_entry(line: int, item: dict) -> Entry:
    doi = clean_doi(_text(item, "DOI"))
    authors = item.get("author") if isinstance(item.get("author"), list) else []
    hints = [_text(item, k) for k in ("URL", "number", "note", "container-title", "id")]
    return Entry(
        line=line, key=_text(item, "citation-key") or _text(item, "id"),
        title=_text(item, "title"), authors=[n for n in map(_name, authors or []) if n],
        year=_year(item), arxiv_id=arxiv_from_doi(doi) or arxiv_in_text(*hints), doi=doi,
        url=_text(item, "URL") or None, tags=split_tags(_text(item, "keyword")),
        note=str(item.get("annote") or ""),
    )  # fmt: skip


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def parse_csl_json(text: str) -> ParsedFile:
    """Entries of a CSL JSON file (an array of items, or ``{"items": [...]}``)."""
    result = ParsedFile("csl-json")
    decoder = json.JSONDecoder()
    pos = _skip(text, 0, " \t\r\n")
    if text.startswith("{", pos):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            result.problems.append(Problem(exc.lineno, f"not valid JSON: {exc.msg}"))
            return result
        items = data.get("items") if isinstance(data, dict) else None
        for item in items if isinstance(items, list) else [data]:
            _add(result, 1, item)
        return result
    if not text.startswith("[", pos):
        result.problems.append(Problem(_line_of(text, pos), "CSL JSON is an array of items"))
        return result
    pos += 1
    while True:
        pos = _skip(text, pos, " \t\r\n,")
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            message = f"not valid JSON ({exc.msg}); the rest of the file was skipped"
            result.problems.append(Problem(exc.lineno, message))
            break
        _add(result, _line_of(text, pos), item)
        pos = end
    return result


def _add(result: ParsedFile, line: int, item: object) -> None:
    if isinstance(item, dict):
        result.entries.append(to_entry(line, item))
    else:
        result.problems.append(Problem(line, "an item is not a JSON object and was skipped"))
