"""BibTeX: read with bibtexparser 2 (broken blocks reported with their line, duplicate keys
kept), write arXiv-style entries with stable keys."""

from __future__ import annotations

import bibtexparser
from bibtexparser.middlewares import SeparateCoAuthors
from bibtexparser.model import DuplicateBlockKeyBlock, Field, ParsingFailedBlock
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

_RAW_FIELDS = {"url", "doi", "eprint", "arxivid", "howpublished"}  # never LaTeX-decoded


def _value(entry: BibEntry, *names: str) -> str:
    for name in names:
        field = entry.fields_dict.get(name) or _case_insensitive(entry, name)
        if field is not None and isinstance(field.value, str) and field.value.strip():
            value = field.value.strip()
            if name in _RAW_FIELDS:
                return value.replace(r"\_", "_").replace(r"\%", "%").replace(r"\&", "&")
            return (
                " ".join(latex.decode(value).split()) if name != "annote" else latex.decode(value)
            )
    return ""


def _case_insensitive(entry: BibEntry, name: str) -> Field | None:
    for field in entry.fields:
        if field.key.lower() == name:
            return field
    return None


def _authors(entry: BibEntry) -> list[str]:
    field = _case_insensitive(entry, "author")
    if field is None or not isinstance(field.value, list):
        return []
    return [_display_name(latex.decode(name)) for name in field.value if name.strip()]


def _display_name(name: str) -> str:
    """``Vaswani, Ashish`` → ``Ashish Vaswani`` (BibTeX's "Last, First" order)."""
    name = " ".join(name.replace("{", "").replace("}", "").split())
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        return f"{first} {last}".strip()
    return name


def _arxiv_id(entry: BibEntry, doi: str | None) -> str | None:
    prefix = _value(entry, "archiveprefix", "eprinttype").lower()
    eprint = _value(entry, "eprint", "arxivid")
    found = bare_arxiv(eprint) if (prefix in ("", "arxiv") or "arxiv" in eprint.lower()) else None
    return (
        found
        or arxiv_from_doi(doi)
        or arxiv_in_text(_value(entry, "url"), _value(entry, "journal"), _value(entry, "note"),
                         _value(entry, "number"), _value(entry, "howpublished"),
                         _value(entry, "volume"))
    )  # fmt: skip


def to_entry(block: BibEntry, offset: int = 0) -> Entry:
    """Our ``Entry`` from a parsed BibTeX entry (``offset``: lines before its text)."""
    doi = clean_doi(_value(block, "doi"))
    return Entry(
        line=offset + (block.start_line or 0) + 1, key=block.key, title=_value(block, "title"),
        authors=_authors(block), year=year_of(_value(block, "year", "date")),
        arxiv_id=_arxiv_id(block, doi), doi=doi, url=_value(block, "url") or None,
        tags=split_tags(_value(block, "keywords", "mendeley-tags")),
        note=_value(block, "annote"),
    )  # fmt: skip


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
