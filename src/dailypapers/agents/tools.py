"""The MCP tools: their argument models, descriptions and bodies (no transport code here).

Tool and argument names are public interface (issue 12): ``daily_papers``, ``search_papers``,
``get_paper``, ``similar_papers`` are open like the site; ``for_you``, ``library_list``,
``library_add`` and ``follow`` act for the owner of the API token. A body takes a
:class:`ToolContext` and its validated arguments and returns compact text; a problem the
caller can fix is raised as a ``DomainError`` and reaches the agent as a one-line error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dailypapers.agents import personal
from dailypapers.agents.render import paper_list
from dailypapers.agents.schema import closed_schema
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import Invalid, NotFound, RateLimited, Unauthorized
from dailypapers.feed.windows import Window, parse_window
from dailypapers.feed.windows import sentence as _sentence
from dailypapers.search import QueryError, SearchRequest, related, search
from dailypapers.store.queries.feed import count_feed, default_window, list_feed
from dailypapers.store.queries.hf import paper_markdown as _paper_markdown
from dailypapers.store.queries.papers import get_paper, papers_by_ids

WRITES_PER_MINUTE = 30  # personal writes, as the API's write endpoints
Limiter = Callable[[str, int], int | None]  # (key, per-minute limit) → None or retry-after s


@dataclass
class ToolContext:
    """What a tool body may use: settings, one database session, the caller (if any)."""

    settings: Settings
    session: Session
    user: CurrentUser | None = None
    token_given: bool = False
    limiter: Limiter | None = None
    notes: list[str] = field(default_factory=list)

    def require_user(self) -> CurrentUser:
        """The token's owner, or an error that says how to authenticate."""
        if self.user is not None:
            return self.user
        if self.token_given:
            raise Unauthorized("The API token is invalid or revoked; create one on /settings.")
        raise Unauthorized(
            "This tool needs your API token: send 'Authorization: Bearer dp_…' over HTTP, or set "
            "DAILYPAPERS_TOKEN for `dailypapers mcp` (create one on /settings)."
        )

    def count_write(self, user: CurrentUser) -> None:
        """Apply the per-user write limit (HTTP only; stdio is the user's own process)."""
        wait = self.limiter(f"mcp-write:u:{user.id}", WRITES_PER_MINUTE) if self.limiter else None
        if wait is not None:
            raise RateLimited(f"Too many writes; try again in {wait} s.", retry_after=wait)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


_DATE = Field(None, description="YYYY-MM-DD")
_WEEK = Field(None, description="YYYY-Www")
_MONTH = Field(None, description="YYYY-MM")


class DailyArgs(_Args):
    date: str | None = _DATE
    week: str | None = _WEEK
    month: str | None = _MONTH
    sort: Literal["publishedAt", "trending", "upvotes"] = "publishedAt"
    limit: int = Field(20, ge=1, le=100)
    page: int = Field(1, ge=1, le=1000)


class SearchArgs(_Args):
    query: str = Field(max_length=500)
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"
    sort: Literal["relevance", "date", "upvotes", "trending"] = "relevance"
    limit: int = Field(20, ge=1, le=100)
    page: int = Field(1, ge=1, le=100)


class PaperArgs(_Args):
    id: str = Field(max_length=100, description="arXiv id")


class SimilarArgs(_Args):
    id: str = Field(max_length=100)
    by: Literal["all", "background", "method", "result"] = "all"
    limit: int = Field(10, ge=1, le=50)


class ForYouArgs(_Args):
    date: str | None = _DATE
    week: str | None = _WEEK
    month: str | None = _MONTH
    limit: int = Field(20, ge=1, le=100)


class LibraryListArgs(_Args):
    collection: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)


class LibraryAddArgs(_Args):
    id: str = Field(max_length=100)
    collection: str | None = Field(None, max_length=100)


class FollowArgs(_Args):
    kind: Literal["author", "org", "category", "search"]
    value: str = Field(min_length=1, max_length=500)


# --- bodies --------------------------------------------------------------------------------
def window_of(date: str | None, week: str | None, month: str | None) -> Window | None:
    """The window named by at most one of date, week, month (None when none is given)."""
    given = {k: v.strip() for k, v in (("day", date), ("week", week), ("month", month)) if v}
    if len(given) > 1:
        raise Invalid("Give at most one of date, week and month.")
    if not given:
        return None
    kind, key = given.popitem()
    try:
        return parse_window(kind, key)
    except ValueError as exc:
        raise Invalid(_sentence(str(exc))) from None


def _more(page: int, limit: int, total: int) -> str | None:
    pages = max(1, math.ceil(total / limit))
    return f"next: page={page + 1} (of {pages})" if page < pages else None


def daily_papers(ctx: ToolContext, a: DailyArgs) -> str:
    window = window_of(a.date, a.week, a.month) or default_window(ctx.session)
    total = count_feed(ctx.session, window)
    items = list_feed(ctx.session, window, sort=a.sort, page=a.page - 1, limit=a.limit)
    header = f"{window.kind} {window.key}: {total} papers, sort={a.sort}, page {a.page}"
    return paper_list(header, items, _more(a.page, a.limit, total))


def search_papers(ctx: ToolContext, a: SearchArgs) -> str:
    req = SearchRequest(q=a.query, sort=a.sort, mode=a.mode, limit=a.limit, page=a.page)
    try:
        result = search(ctx.settings, ctx.session, req)
    except QueryError as exc:
        raise Invalid(f"query: {exc}") from None
    header = f"search {a.query!r} ({a.mode}, sort={a.sort}): {result.total} matches, page {a.page}"
    more = _more(a.page, a.limit, result.total) if result.has_next else None
    return paper_list(header, result.items, more)


def _paper(ctx: ToolContext, raw_id: str) -> Any:
    item = get_paper(ctx.session, raw_id)
    if item is None:
        raise NotFound(f"No paper with id {raw_id!r} here; ids look like 2503.01234.")
    return item


def get_paper_md(ctx: ToolContext, a: PaperArgs) -> str:
    return paper_markdown(ctx.settings, _paper(ctx, a.id))


def paper_markdown(settings: Settings, item: Any) -> str:
    """The Markdown of ``/papers/{id}.md`` (one renderer for the page, the API and agents)."""
    return _paper_markdown(item, settings.base_url)


def similar_papers(ctx: ToolContext, a: SimilarArgs) -> str:
    item = _paper(ctx, a.id)
    by = None if a.by == "all" else a.by
    pairs = related(ctx.settings, ctx.session, item.paper.id, a.limit, by)
    items = papers_by_ids(ctx.session, [pid for pid, _ in pairs])
    return paper_list(f"similar to {item.paper.id} (by={a.by}): {len(items)} papers", items)


def for_you(ctx: ToolContext, a: ForYouArgs) -> str:
    user = ctx.require_user()
    window = window_of(a.date, a.week, a.month) or default_window(ctx.session)
    return personal.for_you(ctx.settings, ctx.session, user, window, a.limit)


def library_list(ctx: ToolContext, a: LibraryListArgs) -> str:
    return personal.library_list(ctx.session, ctx.require_user(), a.collection, a.limit)


def library_add(ctx: ToolContext, a: LibraryAddArgs) -> str:
    user = ctx.require_user()
    ctx.count_write(user)
    item = _paper(ctx, a.id)
    return personal.library_add(ctx.session, user, item.paper.id, a.collection)


def follow(ctx: ToolContext, a: FollowArgs) -> str:
    user = ctx.require_user()
    ctx.count_write(user)
    return personal.follow(ctx.session, user, a.kind, a.value.strip())


# --- the registry ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[_Args]
    body: Callable[[ToolContext, Any], str]
    writes: bool = False

    @property
    def schema(self) -> dict[str, Any]:
        return closed_schema(self.args)


_LANG = (
    'Query language: "phrase" -word author:"Name" org: category:cs.CL since:2025-06 until: '
    "has:code."
)
_LINE = "One line per paper: id | date | upvotes | title | first sentence."
_NEEDS = "Needs your API token."

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("daily_papers", "Papers of a feed day, ISO week or month (default: latest day). "
             + _LINE, DailyArgs, daily_papers),
    ToolSpec("search_papers", f"Search papers. {_LANG} {_LINE}", SearchArgs, search_papers),
    ToolSpec("get_paper", "One paper as Markdown: authors, dates, links, full abstract.",
             PaperArgs, get_paper_md),
    ToolSpec("similar_papers", "Papers similar to one paper; by: one aspect of the abstract.",
             SimilarArgs, similar_papers),
    ToolSpec("for_you", f"Your personal ranking of a day, week or month, with reasons. {_NEEDS}",
             ForYouArgs, for_you),
    ToolSpec("library_list", f"Papers saved in your library, or in one collection. {_NEEDS}",
             LibraryListArgs, library_list),
    ToolSpec("library_add", f"Save a paper to your library (Reading list by default). {_NEEDS}",
             LibraryAddArgs, library_add, writes=True),
    ToolSpec("follow", "Follow an author, org, arXiv category or search query; new matches "
             f"reach your alerts and digests. {_NEEDS}", FollowArgs, follow, writes=True),
)  # fmt: skip
BY_NAME = {t.name: t for t in TOOLS}
