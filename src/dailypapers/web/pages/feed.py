"""The daily feed pages: day, week and month views with previous/next navigation, and Trending.

URLs (all readable without JavaScript):

- ``/``: today's papers, or the latest day that has papers; ``/?date=2025-03-18`` for a day
- ``/date/2025-03-18``, ``/week/2025-W12``, ``/month/2025-03``: one window of the feed
- ``/week``, ``/month``: the current (or latest non-empty) week or month
- ``/trending``: the whole feed by trending score
- on every list: ``?sort=top|new|trending`` and ``?page=N`` (from 1)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dailypapers.feed.windows import Window, WindowKind, window_or_invalid
from dailypapers.store.queries.feed import (
    Neighbours,
    count_feed,
    default_window,
    latest_feed_date,
    list_feed,
    neighbours,
    utc_today,
)
from dailypapers.store.queries.papers import FeedItem
from dailypapers.web.cache import response_cache
from dailypapers.web.deps import request_session
from dailypapers.web.filters import DEFAULT_SORT, PAGE_SORTS
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)

PageSort = Literal["top", "new", "trending"]
MAX_PAGE = 10_000
_SORT_QUERY = Query(DEFAULT_SORT, description="top, new or trending")
_PAGE_QUERY = Query(1, ge=1, le=MAX_PAGE)


@dataclass(frozen=True, slots=True)
class WindowPage:
    """What one page of a window shows, cached per worker like API responses."""

    items: list[FeedItem]
    total: int
    around: Neighbours
    latest: dt.date | None


def _window_page(session: Session, window: Window, sort: str, page: int, size: int) -> WindowPage:
    items = list_feed(session, window, sort=PAGE_SORTS[sort], page=page - 1, limit=size)  # type: ignore[arg-type]
    return WindowPage(
        items, count_feed(session, window), neighbours(session, window), latest_feed_date(session)
    )


async def _cached(request: Request, key: tuple, compute: Callable[[Session], object]) -> Any:
    """``compute(session)`` through the app's versioned cache (the request's session)."""

    def run() -> object:
        return compute(request_session(request))

    return await response_cache(request.app).fetch(key, run)


async def _render_window(request: Request, window: Window, sort: str, page: int) -> HTMLResponse:
    """The list page of one window: entries, counts, paging and navigation links."""
    size = request.app.state.settings.page_size
    data: WindowPage = await _cached(
        request, ("feed-page", window, sort, page, size),
        lambda session: _window_page(session, window, sort, page, size),
    )  # fmt: skip
    if page > 1 and not data.items:
        raise HTTPException(404, f"Page {page} is past the end of this list.")
    latest = data.latest
    anchor = min(window.end, latest) if latest and latest >= window.start else window.start
    return render(
        request,
        "feed.html",
        window=window,
        items=data.items,
        total=data.total,
        sort=sort,
        sorts=list(PAGE_SORTS),
        page=page,
        pages=max(1, math.ceil(data.total / size)),
        around=data.around,
        views={kind: Window.containing(kind, anchor) for kind in ("day", "week", "month")},
        latest=Window.containing(window.kind, latest) if latest else None,
        active_nav=window.kind,
    )


async def _default(request: Request, kind: WindowKind) -> Window:
    today = utc_today()
    return await _cached(
        request, ("default-window", kind, today),
        lambda session: default_window(session, kind, today),
    )  # fmt: skip


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request,
    date: str | None = Query(None, description="A day, YYYY-MM-DD"),
    sort: PageSort = _SORT_QUERY,
    page: int = _PAGE_QUERY,
) -> HTMLResponse:
    """Today's papers, or the most recent day that has some."""
    window = window_or_invalid("day", date) if date else await _default(request, "day")
    return await _render_window(request, window, sort, page)


@router.get("/date/{day}", response_class=HTMLResponse)
async def day_page(
    request: Request, day: str, sort: PageSort = _SORT_QUERY, page: int = _PAGE_QUERY
) -> HTMLResponse:
    """The papers that entered the feed on one day."""
    return await _render_window(request, window_or_invalid("day", day), sort, page)


def _latest_of(kind: WindowKind):  # type: ignore[no-untyped-def]
    async def view(
        request: Request, sort: PageSort = _SORT_QUERY, page: int = _PAGE_QUERY
    ) -> HTMLResponse:
        return await _render_window(request, await _default(request, kind), sort, page)

    return view


def _keyed(kind: WindowKind):  # type: ignore[no-untyped-def]
    async def view(
        request: Request, key: str, sort: PageSort = _SORT_QUERY, page: int = _PAGE_QUERY
    ) -> HTMLResponse:
        return await _render_window(request, window_or_invalid(kind, key), sort, page)

    return view


for _kind in ("week", "month"):
    router.add_api_route(f"/{_kind}", _latest_of(_kind), response_class=HTMLResponse)
    router.add_api_route(f"/{_kind}/{{key}}", _keyed(_kind), response_class=HTMLResponse)


@router.get("/trending", response_class=HTMLResponse)
async def trending(request: Request, page: int = _PAGE_QUERY) -> HTMLResponse:
    """The whole feed ordered by the time-decayed trending score."""
    size = request.app.state.settings.page_size

    def compute(session: Session) -> tuple[list[FeedItem], int]:
        return list_feed(session, sort="trending", page=page - 1, limit=size), count_feed(session)

    items, total = await _cached(request, ("trending-page", page, size), compute)
    if page > 1 and not items:
        raise HTTPException(404, f"Page {page} is past the end of this list.")
    return render(
        request, "trending.html", items=items, total=total, page=page,
        pages=max(1, math.ceil(total / size)), active_nav="trending",
    )  # fmt: skip
