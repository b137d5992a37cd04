"""``/search``: the results page (the feed's list layout, matching words marked, filters as
links, pagination) and the similar-papers block of paper pages."""

from __future__ import annotations

import logging
import math
from collections import Counter
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.search import (
    MAX_LIKE_CHARS,
    QueryError,
    SearchRequest,
    SearchResult,
    related,
    search,
)
from dailypapers.web import highlight
from dailypapers.web.deps import get_db
from dailypapers.web.metrics import search_timer
from dailypapers.web.templating import render, templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
highlight.register(templates.env)

PAGE_SIZE = 25
SORT_LABELS = {"relevance": "Best match", "date": "Newest", "upvotes": "Most upvoted",
               "trending": "Trending"}  # fmt: skip
MODE_LABELS = {"hybrid": "Hybrid", "keyword": "Exact words", "semantic": "Meaning"}
SIMILAR_FACETS = {"": "Overall", "background": "Background", "method": "Method",
                  "result": "Results"}  # fmt: skip


def search_url(
    q: str, sort: str = "relevance", mode: str = "hybrid", page: int = 1, like: str = ""
) -> str:
    """A results URL; default values are left out so URLs stay short and shareable."""
    params = {"q": q}
    if like:
        params["like"] = like
    if sort != "relevance":
        params["sort"] = sort
    if mode != "hybrid":
        params["mode"] = mode
    if page > 1:
        params["page"] = str(page)
    return "/search?" + urlencode(params)


def _refinements(result: SearchResult, q: str) -> list[tuple[str, str]]:
    """Filter links: the commonest categories and organizations among the results."""
    cats = Counter(c for it in result.items for c in it.paper.categories[:2])
    orgs = Counter(it.paper.organization for it in result.items if it.paper.organization)
    links = []
    for cat, _ in cats.most_common(5):
        if f"category:{cat}".lower() not in q.lower():
            links.append((cat, f"{q} category:{cat}".strip()))
    for org, _ in orgs.most_common(3):
        term = f'org:"{org}"' if " " in org else f"org:{org}"
        if term.lower() not in q.lower():
            links.append((org, f"{q} {term}".strip()))
    if "has:code" not in q:
        links.append(("has code", f"{q} has:code".strip()))
    return links


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: str = Query(""),
    like: str = Query("", description="Find papers related to this text."),
    sort: str = Query("relevance"),
    mode: str = Query("hybrid"),
    page: int = Query(1, ge=1, le=1000),
    session: Session = Depends(get_db),
) -> HTMLResponse:
    """Search results for the query language of the search box."""
    ctx: dict[str, Any] = {"query": q, "sort": sort, "mode": mode, "sort_labels": SORT_LABELS,
           "mode_labels": MODE_LABELS, "search_url": partial(search_url, like=like), "like": like,
           "max_like": MAX_LIKE_CHARS}  # fmt: skip
    if not q.strip() and not like.strip():
        return render(request, "search.html", result=None, error=None, **ctx)
    try:
        req = SearchRequest(q=q, sort=sort, mode=mode, page=page, limit=PAGE_SIZE, like=like)
        with search_timer(req.mode):
            result = search(request.app.state.settings, session, req)
    except QueryError as exc:
        return render(request, "search.html", status_code=400, result=None, error=str(exc), **ctx)
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    return render(
        request, "search.html", result=result, error=None, items=result.items, page=page,
        pages=pages, highlight_terms=result.highlight_terms, refinements=_refinements(result, q),
        **ctx,
    )  # fmt: skip


def similar_pairs(
    settings: Settings, session: Session, paper_id: str, limit: int, by: str | None
) -> list[tuple[str, float]] | None:
    """Similar papers of a paper page as (id, score), or None if the index failed: the paper
    page must render even when the index is unavailable."""
    try:
        return related(settings, session, paper_id, limit, by)
    except Exception:
        log.exception("similar papers failed for %s", paper_id)
        return None
