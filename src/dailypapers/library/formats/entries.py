"""What every reader produces: ``Entry`` records, ``Problem``s with line numbers, and the
arXiv id / DOI finders shared by the readers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?"
# An id is only taken from free text when arXiv is named next to it (a bare "1234.5678" in a
# journal field may be anything): arXiv:ID, arXiv ID, arxiv.org/abs|pdf/ID, 10.48550/arXiv.ID,
# CoRR abs/ID (DBLP), huggingface.co/papers/ID.
_IN_TEXT = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:\s.]*|abs/|huggingface\.co/papers/){_ID}", re.IGNORECASE
)
_BARE = re.compile(rf"^\s*(?:arxiv:\s*)?{_ID}\s*$", re.IGNORECASE)
_DOI = re.compile(r"(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


@dataclass(slots=True)
class Entry:
    """One reference as a file describes it (only ``line`` is always set)."""

    line: int
    key: str = ""
    title: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def label(self) -> str:
        """How previews name the entry: its title, else its id, else its key and line."""
        return (
            self.title or self.arxiv_id or self.doi or self.url or f"{self.key} (line {self.line})"
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """A part of the file that could not be read: 1-based line and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(slots=True)
class ParsedFile:
    """The readable entries of a file and the problems found in the rest."""

    format: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def arxiv_in_text(*texts: str | None) -> str | None:
    """The first arXiv id named in any of ``texts`` (with "arXiv" or an arXiv URL next to it)."""
    for text in texts:
        if text:
            match = _IN_TEXT.search(text)
            if match:
                return match.group("id")
    return None


def bare_arxiv(text: str | None) -> str | None:
    """An arXiv id when ``text`` is nothing but one (an ``eprint`` field, a list line)."""
    match = _BARE.match(text or "")
    return match.group("id") if match else None


def clean_doi(text: str | None) -> str | None:
    """A DOI in canonical form (lower case, no resolver prefix), or None."""
    match = _DOI.search(text or "")
    if not match:
        return None
    return match.group(1).rstrip(".,;)").lower()


def arxiv_from_doi(doi: str | None) -> str | None:
    """The arXiv id of an arXiv DOI (``10.48550/arxiv.2501.01234``)."""
    if doi and doi.startswith("10.48550/arxiv."):
        return bare_arxiv(doi.removeprefix("10.48550/arxiv."))
    return None


def split_tags(text: str | None) -> list[str]:
    """Keywords as tags: separated by commas or semicolons."""
    return [t.strip() for t in re.split(r"[,;]", text or "") if t.strip()]


def year_of(text: object) -> int | None:
    """The four-digit year in ``text`` (``2017``, ``2017///``, ``2017-06-12``)."""
    match = re.search(r"(1[89]\d\d|20\d\d)", str(text or ""))
    return int(match.group(1)) if match else None
