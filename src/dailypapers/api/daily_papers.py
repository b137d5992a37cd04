"""``GET /api/daily_papers``: the daily feed in the Hugging Face papers API shape.

Hot path: parameters are parsed and validated, then the encoded body comes from the
per-worker ``VersionedCache``; on a miss one SQL query builds it (see ``feed.queries``).
"""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from dailypapers.api.cache import response_cache
from dailypapers.api.schemas import ApiError, HfDailyPaper, daily_item_to_hf
from dailypapers.feed.queries import list_feed
from dailypapers.feed.windows import Window, parse_window
from dailypapers.feed.windows import sentence as _sentence

router = APIRouter(tags=["papers"])

MAX_LIMIT = 100
MAX_PAGE = 10_000


def window_from_params(date: str | None, week: str | None, month: str | None) -> Window | None:
    """The feed window chosen by at most one of ``date``, ``week``, ``month`` (400 if bad)."""
    given = {k: v.strip() for k, v in (("day", date), ("week", week), ("month", month)) if v}
    if len(given) > 1:
        raise HTTPException(400, "Give at most one of date, week and month.")
    if not given:
        return None
    kind, key = given.popitem()
    try:
        return parse_window(kind, key)
    except ValueError as exc:
        raise HTTPException(400, _sentence(str(exc))) from None


@router.get(
    "/api/daily_papers",
    response_class=Response,
    responses={
        200: {"model": list[HfDailyPaper], "description": "Feed entries, newest first."},
        400: {"model": ApiError, "description": "A malformed date, week or month."},
        422: {"model": ApiError, "description": "A parameter out of range."},
    },
    summary="Daily papers (Hugging Face compatible)",
)
async def daily_papers(
    request: Request,
    p: int = Query(0, ge=0, le=MAX_PAGE, description="Page number, from 0."),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Papers per page (1 to 100)."),
    date: str | None = Query(None, description="Feed date `YYYY-MM-DD`.", examples=["2025-03-18"]),
    week: str | None = Query(None, description="ISO week `YYYY-Www`.", examples=["2025-W12"]),
    month: str | None = Query(None, description="Month `YYYY-MM`.", examples=["2025-03"]),
    submitter: str | None = Query(None, max_length=100, description="Submitter's user name."),
    sort: Literal["publishedAt", "trending"] = Query(
        "publishedAt", description="`publishedAt`: newest feed date first; `trending`: by score."
    ),
) -> Response:
    """The feed entries of a day, week or month (the whole feed when none is given)."""
    window = window_from_params(date, week, month)
    key = ("daily", window, sort, submitter or None, p, limit)

    def compute() -> bytes:
        with request.app.state.sessionmaker() as session:
            items = list_feed(
                session, window, sort=sort, submitter=submitter or None, page=p, limit=limit
            )
            return orjson.dumps([daily_item_to_hf(item) for item in items])

    body = await response_cache(request.app).fetch(key, compute)
    return Response(body, media_type="application/json")
