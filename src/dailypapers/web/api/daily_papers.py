"""``GET /api/daily_papers``: the daily feed in the Hugging Face papers API shape.

Hot path: parameters are parsed and validated, then the encoded body comes from the
per-worker ``VersionedCache``; on a miss one SQL query builds it (see ``store.queries.feed``).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from dailypapers.feed.windows import Window, window_or_invalid
from dailypapers.store.queries.feed import list_feed
from dailypapers.web.api.schemas import ApiError, HfDailyPaper, daily_item_to_hf
from dailypapers.web.cache import response_cache
from dailypapers.web.deps import request_session

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
    return window_or_invalid(kind, key)


@dataclass(frozen=True, slots=True)
class DailyQuery:
    """The validated parameters of one ``/api/daily_papers`` request (also the cache key)."""

    window: Window | None
    sort: str
    submitter: str | None
    page: int
    limit: int


def _int_param(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise HTTPException(
            422, f"Invalid request: {name}: must be an integer from {low} to {high}"
        )
    return value


def parse_daily_query(params: QueryParams) -> DailyQuery:
    """Validate the query string by hand: FastAPI's per-parameter machinery would cost more
    than the whole cached response on this hot path. Same rules and messages as elsewhere."""
    sort = params.get("sort") or "publishedAt"
    if sort not in ("publishedAt", "trending"):
        raise HTTPException(422, "Invalid request: sort: must be 'publishedAt' or 'trending'")
    submitter = params.get("submitter") or None
    if submitter is not None and len(submitter) > 100:
        raise HTTPException(422, "Invalid request: submitter: at most 100 characters")
    window = window_from_params(params.get("date"), params.get("week"), params.get("month"))
    page = _int_param(params, "p", 0, 0, MAX_PAGE)
    return DailyQuery(window, sort, submitter, page, _int_param(params, "limit", 50, 1, MAX_LIMIT))


def _param(name: str, description: str, schema: dict, example: str | None = None) -> dict:
    doc = {"name": name, "in": "query", "required": False, "description": description}
    return doc | {"schema": schema} | ({"example": example} if example else {})


_DOCUMENTED_PARAMS = [
    _param("p", "Page number, from 0.", {"type": "integer", "minimum": 0, "maximum": MAX_PAGE,
                                          "default": 0}),
    _param("limit", "Papers per page.", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                         "default": 50}),
    _param("date", "Feed date `YYYY-MM-DD`.", {"type": "string"}, "2025-03-18"),
    _param("week", "ISO week `YYYY-Www`.", {"type": "string"}, "2025-W12"),
    _param("month", "Month `YYYY-MM`.", {"type": "string"}, "2025-03"),
    _param("submitter", "Submitter's user name.", {"type": "string", "maxLength": 100}),
    _param("sort", "`publishedAt`: newest feed date first; `trending`: by score.",
           {"type": "string", "enum": ["publishedAt", "trending"], "default": "publishedAt"}),
]  # fmt: skip


@router.get(
    "/api/daily_papers",
    response_class=Response,
    responses={
        200: {"model": list[HfDailyPaper], "description": "Feed entries, newest first."},
        400: {"model": ApiError, "description": "A malformed date, week or month."},
        422: {"model": ApiError, "description": "A parameter out of range."},
    },
    openapi_extra={"parameters": _DOCUMENTED_PARAMS},
    summary="Daily papers (Hugging Face compatible)",
)
async def daily_papers(request: Request) -> Response:
    """The feed entries of a day, week or month (the whole feed when none is given)."""
    query = parse_daily_query(request.query_params)

    def compute() -> bytes:
        items = list_feed(
            request_session(request), query.window, sort=query.sort,  # type: ignore[arg-type]
            submitter=query.submitter, page=query.page, limit=query.limit,
        )  # fmt: skip
        return orjson.dumps([daily_item_to_hf(item) for item in items])

    body = await response_cache(request.app).fetch(("daily", query), compute)
    return Response(body, media_type="application/json")
