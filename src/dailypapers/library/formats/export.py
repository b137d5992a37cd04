"""Exports: BibTeX as arXiv writes it, RIS and CSL JSON, plus a plain-text citation.

BibTeX keys are ``surname`` + ``year`` + first meaningful title word, ASCII lower case
(``vaswani2017attention``); papers that would share a key get ``a``, ``b``… in the order of
their ids, so a paper's key is stable as long as the same papers are exported together.
arXiv papers carry ``eprint``, ``archivePrefix``, ``primaryClass`` and ``url`` as arXiv's own
BibTeX does. Library exports add the user's tags (``keywords``) and note (``annote``), which
the importer reads back: an export re-imported gives the same library.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import bibtexparser
import rispy
from bibtexparser.model import Entry as BibEntry
from bibtexparser.model import Field
from bibtexparser.writer import BibtexFormat

from dailypapers.library.formats.latex import encode_free_text, encode_title
from dailypapers.store.queries.papers import PaperView
from dailypapers.store.records import normalise_name

EXPORT_FORMATS = ("bibtex", "ris", "csl-json")
MEDIA_TYPES = {"bibtex": "application/x-bibtex", "ris": "application/x-research-info-systems",
               "csl-json": "application/vnd.citationstyles.csl+json"}  # fmt: skip
EXTENSIONS = {"bibtex": "bib", "ris": "ris", "csl-json": "json"}
_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "is", "are",
              "from", "by", "at", "via", "towards", "toward"}  # fmt: skip
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "le", "la", "du"}


PaperLike = PaperView


@dataclass(slots=True)
class ExportItem:
    paper: PaperLike
    tags: list[str] = field(default_factory=list)
    note: str = ""


def split_name(name: str) -> tuple[str, str]:
    """``(family, given)`` of "Given Family" (particles such as "van der" go with the family)."""
    parts = name.split()
    if len(parts) <= 1:
        return name.strip(), ""
    i = len(parts) - 1
    while i > 1 and parts[i - 1].lower() in _PARTICLES:
        i -= 1
    return " ".join(parts[i:]), " ".join(parts[:i])


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", normalise_name(text))


def base_key(paper: PaperLike) -> str:
    """``vaswani2017attention``: first author's surname, year, first meaningful title word."""
    surname = _ascii_word(split_name(paper.authors[0])[0]) if paper.authors else ""
    year = str(paper.published_on.year) if paper.published_on else ""
    words = [_ascii_word(w) for w in re.split(r"[\s\-:/]+", re.sub(r"\$[^$]*\$", " ", paper.title))]
    word = next((w for w in words if w and w not in _STOPWORDS and not w.isdigit()), "")
    return f"{surname or 'paper'}{year}{word}"


def bibtex_keys(papers: Sequence[PaperLike]) -> dict[str, str]:
    """A unique, stable key for every paper id."""
    groups: dict[str, list[str]] = defaultdict(list)
    for paper in sorted(papers, key=lambda p: p.id):
        groups[base_key(paper)].append(paper.id)
    keys: dict[str, str] = {}
    for base, ids in groups.items():
        for i, pid in enumerate(ids):
            keys[pid] = base if i == 0 else f"{base}{_suffix(i)}"
    return keys


def _suffix(i: int) -> str:
    letters = ""
    while i > 0:
        i, rest = divmod(i - 1, 26)
        letters = chr(97 + rest) + letters
    return letters


def _bib_entry(item: ExportItem, key: str, private: bool) -> BibEntry:
    p = item.paper
    fields = [("title", encode_title(p.title)),
              ("author", " and ".join(encode_title(a) for a in p.authors))]  # fmt: skip
    if p.published_on:
        fields.append(("year", str(p.published_on.year)))
    if p.arxiv_id:
        fields += [("eprint", p.arxiv_id), ("archivePrefix", "arXiv")]
        if p.categories:
            fields.append(("primaryClass", p.categories[0]))
    if p.abs_url:
        fields.append(("url", p.abs_url))
    if private and item.tags:
        fields.append(("keywords", ", ".join(encode_free_text(t) for t in item.tags)))
    if private and item.note:
        fields.append(("annote", encode_free_text(item.note)))
    return BibEntry("misc", key, [Field(k, v) for k, v in fields])


def to_bibtex(items: Sequence[ExportItem], *, private: bool = True) -> str:
    """A BibTeX file; ``private=False`` leaves the user's tags and notes out (cite buttons)."""
    keys = bibtex_keys([i.paper for i in items])
    library = bibtexparser.Library([_bib_entry(i, keys[i.paper.id], private) for i in items])
    fmt = BibtexFormat()
    fmt.indent = "  "
    fmt.block_separator = "\n\n"
    return bibtexparser.write_string(library, bibtex_format=fmt)


def _ris_record(item: ExportItem, key: str, private: bool) -> dict[str, Any]:
    p = item.paper
    record: dict[str, Any] = {
        "type_of_reference": "UNPB" if p.arxiv_id else "GEN", "id": key, "title": p.title,
        "authors": [", ".join(x for x in split_name(a) if x) for a in p.authors],
    }  # fmt: skip
    if p.published_on:
        record["year"] = str(p.published_on.year)
        record["date"] = p.published_on.strftime("%Y/%m/%d/")
    if p.abstract:
        record["abstract"] = " ".join(p.abstract.split())
    if p.abs_url:
        record["urls"] = [p.abs_url]
    if p.arxiv_id:
        record["doi"] = f"10.48550/arXiv.{p.arxiv_id}"
        record["publisher"] = "arXiv"
    if private and item.tags:
        record["keywords"] = list(item.tags)
    if private and item.note:
        record["notes"] = [item.note]
    return record


def to_ris(items: Sequence[ExportItem], *, private: bool = True) -> str:
    keys = bibtex_keys([i.paper for i in items])
    text = rispy.dumps([_ris_record(i, keys[i.paper.id], private) for i in items])
    return re.sub(r"^\d+\.\n", "", text, flags=re.MULTILINE)  # rispy's record numbers


def _csl_item(item: ExportItem, key: str, private: bool) -> dict[str, Any]:
    p = item.paper
    out: dict[str, Any] = {
        "id": key, "citation-key": key, "type": "article", "title": p.title,
        "author": [{"family": f, "given": g} if g else {"literal": f}
                   for f, g in map(split_name, p.authors)],
    }  # fmt: skip
    if p.published_on:
        d = p.published_on
        out["issued"] = {"date-parts": [[d.year, d.month, d.day]]}
    if p.abstract:
        out["abstract"] = " ".join(p.abstract.split())
    if p.arxiv_id:
        out |= {"number": f"arXiv:{p.arxiv_id}", "publisher": "arXiv",
                "DOI": f"10.48550/arXiv.{p.arxiv_id}"}  # fmt: skip
    if p.abs_url:
        out["URL"] = p.abs_url
    if private and item.tags:
        out["keyword"] = ", ".join(item.tags)
    if private and item.note:
        out["annote"] = item.note
    return out


def to_csl_json(items: Sequence[ExportItem], *, private: bool = True) -> str:
    keys = bibtex_keys([i.paper for i in items])
    data = [_csl_item(i, keys[i.paper.id], private) for i in items]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export(items: Sequence[ExportItem], fmt: str, *, private: bool = True) -> str:
    """The file text of ``items`` in ``fmt`` (one of :data:`EXPORT_FORMATS`)."""
    writers = {"bibtex": to_bibtex, "ris": to_ris, "csl-json": to_csl_json}
    if fmt not in writers:
        raise ValueError(f"format is one of {', '.join(EXPORT_FORMATS)}")
    return writers[fmt](items, private=private)


def plain_citation(paper: PaperLike) -> str:
    """``A. Vaswani, N. Shazeer, et al. (2017). Attention Is All You Need. arXiv:1706.03762.``"""
    names = [_initials(a) for a in paper.authors[:3]]
    who = ", ".join(names) + (", et al." if len(paper.authors) > 3 else "")
    year = f" ({paper.published_on.year})" if paper.published_on else ""
    ident = f" arXiv:{paper.arxiv_id}." if paper.arxiv_id else ""
    url = f" {paper.abs_url}" if paper.abs_url else ""
    return f"{who}{year}. {paper.title.rstrip('.')}.{ident}{url}".strip()


def _initials(name: str) -> str:
    family, given = split_name(name)
    initials = " ".join(g[0] + "." for g in given.split() if g)
    return f"{initials} {family}".strip()
