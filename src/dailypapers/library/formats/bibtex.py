"""BibTeX: read with bibtexparser 2 (broken blocks reported with their line, duplicate keys
kept), write arXiv-style entries with stable keys."""

from __future__ import annotations

import bibtexparser
from bibtexparser.middlewares import SeparateCoAuthors
from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock
from bibtexparser.model import Entry as BibEntry

from dailypapers.library.formats import latex
from dailypapers.library.formats.entries import (
    Entry,
    ParsedFile,
    Problem,
    arxiv_from_doi,
    arxiv_in_text,
    bare_arxiv,
    clean_doi,
    split_tags,
    year_of,
)

Fields = dict[str, object]  # field name (lower case) → value, read once per entry


def _fields(entry: BibEntry) -> Fields:
    return {field.key.lower(): field.value for field in entry.fields}


def _text(fields: Fields, *names: str) -> str:
    """The first non-empty of ``names``, LaTeX decoded, on one line."""
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return " ".join(latex.decode(value.strip()).split())
    return ""


def _raw(fields: Fields, name: str) -> str:
    """A field as written, braces dropped, not LaTeX-decoded (ids and URLs need no decoding)."""
    value = fields.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("{", "").replace("}", "").replace("\\_", "_").replace("\\%", "%").strip()


def _authors(fields: Fields) -> list[str]:
    names = fields.get("author")
    if not isinstance(names, list):
        return []
    return [_display_name(latex.decode(name)) for name in names if name.strip()]


def _display_name(name: str) -> str:
    """``Vaswani, Ashish`` → ``Ashish Vaswani`` (BibTeX's "Last, First" order)."""
    name = " ".join(name.replace("{", "").replace("}", "").split())
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        return f"{first} {last}".strip()
    return name


def _arxiv_id(fields: Fields, doi: str | None) -> str | None:
    prefix = (_raw(fields, "archiveprefix") or _raw(fields, "eprinttype")).lower()
    eprint = _raw(fields, "eprint") or _raw(fields, "arxivid")
    found = bare_arxiv(eprint) if (prefix in ("", "arxiv") or "arxiv" in eprint.lower()) else None
    hints = ("url", "journal", "note", "number", "howpublished", "volume")
    return found or arxiv_from_doi(doi) or arxiv_in_text(*(_raw(fields, h) for h in hints))


def _note(fields: Fields) -> str:
    value = fields.get("annote")
    return latex.decode(value).strip("\n") if isinstance(value, str) else ""


def to_entry(block: BibEntry, offset: int = 0) -> Entry:
    """Our ``Entry`` from a parsed BibTeX entry (``offset``: lines before its text)."""
    fields = _fields(block)
    doi = clean_doi(_raw(fields, "doi"))
    return Entry(
        line=offset + (block.start_line or 0) + 1,
        key=block.key,
        title=_text(fields, "title"),
        authors=_authors(fields),
        year=year_of(_raw(fields, "year") or _raw(fields, "date")),
        arxiv_id=_arxiv_id(fields, doi),
        doi=doi,
        url=_raw(fields, "url") or None,
        tags=split_tags(_text(fields, "keywords", "mendeley-tags")),
        note=_note(fields),
    )


def parse_bibtex(text: str) -> ParsedFile:
    """Entries of a BibTeX file; broken blocks become problems, the rest is kept."""
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors()])
    result = ParsedFile("bibtex", [to_entry(e) for e in library.entries])
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            again = bibtexparser.parse_string(
                block.raw or "", append_middleware=[SeparateCoAuthors()]
            )
            result.entries += [to_entry(e, block.start_line or 0) for e in again.entries]
            continue
        message = _failure(block)
        result.problems.append(Problem((block.start_line or 0) + 1, message))
    result.entries.sort(key=lambda e: e.line)
    return result


def _failure(block: object) -> str:
    if isinstance(block, ParsingFailedBlock):
        text = (block.raw or "").strip()
        raw = text.splitlines()[0][:80] if text else ""
        return f"this entry is not valid BibTeX and was skipped ({raw!r})"
    return "this block could not be read and was skipped"
