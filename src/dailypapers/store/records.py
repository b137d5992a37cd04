"""``PaperRecord``: what every importer and live source hands to the store."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

_ARXIV_ID = re.compile(
    r"(?:arxiv[:/ ]?|abs/|pdf/)?"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def fold_spaces(text: str) -> str:
    """Collapse every run of white space (arXiv's hard line breaks included) to one space."""
    return _SPACES.sub(" ", text).strip()


def normalise_title(title: str) -> str:
    """Lower-case ASCII letters and digits only, single-spaced: the key for title matching."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return fold_spaces(re.sub(r"[^a-z0-9]+", " ", text.lower()))[:500]


def title_id(title: str) -> str:
    """A stable id for papers without an arXiv id: ``t-`` and 12 hex digits of the title's hash."""
    return (
        "t-" + hashlib.sha1(normalise_title(title).encode(), usedforsecurity=False).hexdigest()[:12]
    )


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """``("2511.01234", 2)`` from an id, ``arXiv:`` id, or abs/pdf URL; None when there is none."""
    match = _ARXIV_ID.search(text.strip())
    if not match:
        return None
    version = int(match.group("v")) if match.group("v") else None
    return match.group("id"), version


def normalise_name(name: str) -> str:
    """Author or organization key: accents stripped, lower case, single spaces."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return fold_spaces(text.lower())


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source saw it. ``None`` means "this source does not know": never erases."""

    title: str
    abstract: str = ""
    arxiv_id: str | None = None
    authors: list[str] = field(default_factory=list)
    author_count: int | None = None
    categories: list[str] = field(default_factory=list)
    published_on: dt.date | None = None
    updated_on: dt.date | None = None
    version: int | None = None
    organization: str | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    pdf_url: str | None = None
    comment: str | None = None
    source: str = "import"
    feed_date: dt.date | None = None
    submitter_name: str | None = None

    @property
    def id(self) -> str:
        return self.arxiv_id or title_id(self.title)

    def validate(self) -> None:
        """Raise ``ValueError`` with a readable reason when the record cannot be stored."""
        if not self.title or not self.title.strip():
            raise ValueError("missing title")
        if len(self.title) > 2000:
            raise ValueError("title longer than 2000 characters")
        if len(self.abstract) > 100_000:
            raise ValueError("abstract longer than 100,000 characters")
        if self.arxiv_id and not parse_arxiv_id(self.arxiv_id):
            raise ValueError(f"malformed arXiv id {self.arxiv_id!r}")
