"""Papers as lists and pages show them: ``PaperView``/``FeedItem`` view models, id parsing.

Every lookup is one SQL query over ``papers`` joined to ``feed_entries`` (no per-row queries).
Writes live in ``dailypapers.store.papers``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dailypapers.errors import NotFound
from dailypapers.store.models import FeedEntry, Paper, table_of
from dailypapers.store.records import normalise_name, parse_arxiv_id
from dailypapers.store.urls import clean_url

_TITLE_ID = re.compile(r"^t-[0-9a-f]{12}$")
_P, _F = table_of(Paper).c, table_of(FeedEntry).c
_PAPER_COLUMNS = (
    _P.id, _P.arxiv_id, _P.title, _P.abstract, _P.authors, _P.author_count, _P.categories,
    _P.published_on, _P.organization, _P.upvotes, _P.num_comments, _P.github_repo,
    _P.github_stars, _P.project_page, _P.pdf_url, _P.comment, _P.trending_score, _P.updated_at,
)  # fmt: skip
_LINK_COLUMNS = tuple(
    i for i, c in enumerate(_PAPER_COLUMNS) if c.name in ("github_repo", "project_page", "pdf_url")
)


@dataclass(frozen=True, slots=True)
class PaperView:
    """The fields of a paper that lists, pages and the API show."""

    id: str
    arxiv_id: str | None
    title: str
    abstract: str
    authors: list[str]
    author_count: int
    categories: list[str]
    published_on: dt.date | None
    organization: str | None
    upvotes: int
    num_comments: int
    github_repo: str | None
    github_stars: int | None
    project_page: str | None
    pdf_url: str | None
    comment: str | None
    trending_score: float
    updated_at: dt.datetime | None

    @property
    def has_code(self) -> bool:
        return bool(self.github_repo)

    @property
    def abs_url(self) -> str | None:
        """The arXiv abstract page, when the paper has an arXiv id."""
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def arxiv_search_url(self) -> str:
        """arXiv's title search for this paper (papers known only from a Daily Papers page)."""
        query = urlencode({"query": self.title, "searchtype": "title"})
        return f"https://arxiv.org/search/?{query}"

    @property
    def pdf_link(self) -> str | None:
        """The stored PDF link, else arXiv's PDF URL."""
        return self.pdf_url or (f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None)

    @property
    def org_slug(self) -> str | None:
        """``Google DeepMind`` → ``google-deepmind`` (organization URLs and the API's ``name``)."""
        return org_slug(self.organization) if self.organization else None

    @property
    def num_authors(self) -> int:
        return max(self.author_count or 0, len(self.authors))


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a list: the paper, the day it entered the feed and who submitted it."""

    paper: PaperView
    feed_date: dt.date | None
    submitter: str | None


def org_slug(name: str) -> str:
    """An organization's URL name: accents stripped, lower case, runs of other signs as ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_name(name)).strip("-")


# --- ids ---------------------------------------------------------------------------------------
def normalise_paper_id(raw: str) -> str | None:
    """The stored id for ``2503.01234``, ``2503.01234v2``, ``arXiv:…``, an abs URL or ``t-…``.

    Returns None when the text cannot be a paper id (callers answer 404).
    """
    text = raw.strip()
    if _TITLE_ID.match(text.lower()):
        return text.lower()
    parsed = parse_arxiv_id(text)
    return parsed[0] if parsed else None


# --- rows → view models ------------------------------------------------------------------------
def item_from_row(row: Sequence) -> FeedItem:
    values = list(row)
    for column in _LINK_COLUMNS:  # the URL policy again on the way out (rows predating it)
        values[column] = clean_url(values[column])
    paper = PaperView(*values[: len(_PAPER_COLUMNS)])
    return FeedItem(paper, values[-2], values[-1])


def items_select() -> Select:
    return select(*_PAPER_COLUMNS, _F.feed_date, _F.submitter_name)


def get_paper(session: Session, raw_id: str) -> FeedItem | None:
    """A paper by arXiv id (any version, ``arXiv:``/URL forms) or ``t-`` id, with its feed entry."""
    paper_id = normalise_paper_id(raw_id)
    if paper_id is None:
        return None
    found = papers_by_ids(session, [paper_id])
    return found[0] if found else None


def papers_by_ids(session: Session, ids: Iterable[str]) -> list[FeedItem]:
    """Papers for stored ids in the order given (missing ids are left out), in one query.

    Search and similar-papers use it to turn ranked ids into list entries.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    stmt = (
        items_select()
        .select_from(table_of(Paper).outerjoin(table_of(FeedEntry)))
        .where(_P.id.in_(wanted))
    )
    by_id = {item.paper.id: item for item in map(item_from_row, session.execute(stmt))}
    return [by_id[pid] for pid in wanted if pid in by_id]


def require_paper_id(raw: str) -> str:
    """The stored id for ``raw`` (see ``normalise_paper_id``), else ``NotFound``."""
    paper_id = normalise_paper_id(raw)
    if paper_id is None:
        raise NotFound(f"No paper with id {raw!r}.")
    return paper_id
