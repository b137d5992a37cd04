"""``GET /api/papers/search`` (Hugging Face compatible, hybrid search with filters) and
``GET /api/papers/{id}/similar``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.search import MAX_LIMIT, QueryError, SearchRequest, parse_date, related, search
from dailypapers.store.queries.papers import get_paper, papers_by_ids
from dailypapers.web.api.schemas import ApiError, HfDailyPaper, daily_item_to_hf
from dailypapers.web.deps import get_db
from dailypapers.web.metrics import search_timer

router = APIRouter(tags=["search"])


def _date(value: str | None, *, end: bool, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return parse_date(value.strip(), end=end)
    except QueryError as exc:
        raise HTTPException(400, f"{name}: {exc}") from None


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for v in values or [] if v and v.strip()]


@router.get(
    "/api/papers/search",
    response_class=Response,
    responses={
        200: {"model": list[HfDailyPaper], "description": "Matches, best first."},
        400: {"model": ApiError, "description": "A malformed query or filter."},
        422: {"model": ApiError, "description": "A parameter out of range."},
    },
    summary="Search papers (Hugging Face compatible)",
)
def search_papers(
    request: Request,
    q: str = Query(
        "",
        description='Query text, e.g. `diffusion "video generation" -survey author:"Jonathan Ho" '
        "since:2025-06 has:code`; at most 500 characters (a longer one answers 400).",
    ),
    like: str = Query(
        "",
        description="Find papers related to this text (a draft abstract, up to 5,000 "
        "characters); combines with `q` filters.",
    ),
    limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Results per page (1 to 100)."),
    p: int | None = Query(None, ge=0, description="Page number from 0 (as `/api/daily_papers`)."),
    page: int | None = Query(None, ge=1, description="Page number from 1 (overrides `p`)."),
    author: list[str] | None = Query(None, description="Author name (repeatable)."),
    org: list[str] | None = Query(None, description="Organization (repeatable)."),
    category: list[str] | None = Query(None, description="arXiv category, e.g. `cs.CL`."),
    since: str | None = Query(None, description="From this date: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`."),
    until: str | None = Query(None, description="Up to this date (same forms)."),
    has_code: bool | None = Query(None, description="Only papers with a code repository."),
    sort: Literal["relevance", "date", "upvotes", "trending"] = Query("relevance"),
    mode: Literal["hybrid", "keyword", "semantic"] = Query("hybrid"),
    session: Session = Depends(get_db),
) -> Response:
    """Hybrid (BM25 + semantic) search; the query language and these filters combine.

    The total number of matches is in the `X-Total-Count` header; `X-Weak-Matches: true`
    says that no paper is really about the query and these are only weak matches.
    """
    req = SearchRequest(
        q=q, authors=_split(author), orgs=_split(org), categories=_split(category),
        since=_date(since, end=False, name="since"), until=_date(until, end=True, name="until"),
        has_code=has_code or None, sort=sort, mode=mode, limit=limit,
        page=page if page is not None else (p or 0) + 1, like=like,
    )  # fmt: skip
    try:
        with search_timer(req.mode):
            result = search(request.app.state.settings, session, req)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    body = orjson.dumps([daily_item_to_hf(item) for item in result.items])
    headers = {"X-Total-Count": str(result.total)}
    if result.weak:
        headers["X-Weak-Matches"] = "true"
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/api/papers/{paper_id:paper_id}/similar",
    response_class=Response,
    responses={200: {"model": list[HfDailyPaper]}, 404: {"model": ApiError}},
    summary="Papers similar to one paper",
)
def similar_papers(
    paper_id: str,
    request: Request,
    limit: int = Query(10, ge=1, le=50, description="How many papers (1 to 50)."),
    by: Literal["all", "background", "method", "result"] | None = Query(
        None, description="Similar by one aspect of the abstract (when supported)."
    ),
    session: Session = Depends(get_db),
) -> Response:
    """The most similar papers, from stored vectors (keyword similarity when none yet)."""
    item = get_paper(session, paper_id)
    if item is None:
        raise HTTPException(404, f"No paper with id {paper_id!r} here.")
    pairs = related(request.app.state.settings, session, item.paper.id, limit,
                    None if by == "all" else by)  # fmt: skip
    items = papers_by_ids(session, [pid for pid, _ in pairs])
    return Response(orjson.dumps([daily_item_to_hf(i) for i in items]),
                    media_type="application/json")  # fmt: skip
