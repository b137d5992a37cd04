"""Plain lists: one arXiv id, arXiv URL, DOI or DOI URL per line; ``#`` starts a comment."""

from __future__ import annotations

from dailypapers.library.formats.entries import (
    Entry,
    ParsedFile,
    Problem,
    arxiv_from_doi,
    arxiv_in_text,
    bare_arxiv,
    clean_doi,
)


def parse_plain(text: str) -> ParsedFile:
    """One entry per recognised line; other non-empty lines are problems."""
    result = ParsedFile("list")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("http") else raw.strip()
        if not line or line.startswith("#"):
            continue
        arxiv = bare_arxiv(line) or arxiv_in_text(line)
        doi = None if arxiv else clean_doi(line)
        arxiv = arxiv or arxiv_from_doi(doi)
        if arxiv or doi:
            result.entries.append(Entry(line=number, arxiv_id=arxiv, doi=doi,
                                        url=line if line.startswith("http") else None))  # fmt: skip
        else:
            result.problems.append(
                Problem(number, f"not an arXiv id, arXiv URL or DOI: {line[:60]!r}")
            )
    return result
