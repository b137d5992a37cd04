"""The daily feed pages: day, week and month views with previous/next navigation, and Trending.

URLs (all readable without JavaScript):

- ``/``: today's papers, or the latest day that has papers; ``/?date=2025-03-18`` for a day
- ``/date/2025-03-18``, ``/week/2025-W12``, ``/month/2025-03``: one window of the feed
- ``/week``, ``/month``: the current (or latest non-empty) week or month
- ``/trending``: the whole feed by trending score
- on every list: ``?sort=top|new|trending`` and ``?page=N`` (from 1)
"""

from __future__ import annotations

import math
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dailypapers.feed.queries import (
    FeedSort,
    count_feed,
    default_window,
    latest_feed_date,
    list_feed,
    neighbours,
)
from dailypapers.feed.windows import Window, WindowKind, parse_window
from dailypapers.feed.windows import sentence as _sentence
from dailypapers.web.deps import get_db
from dailypapers.web.filters import DEFAULT_SORT, PAGE_SORTS
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)

PageSort = Literal["top", "new", "trending"]
MAX_PAGE = 10_000
_SORT_QUERY = Query(DEFAULT_SORT, description="top, new or trending")
_PAGE_QUERY = Query(1, ge=1, le=MAX_PAGE)


def _window_or_400(kind: str, key: str) -> Window:
    try:
        return parse_window(kind, key)
    except ValueError as exc:
        raise HTTPException(400, _sentence(str(exc))) from None


def _render_window(
    request: Request, session: Session, window: Window, sort: str, page: int
) -> HTMLResponse:
    """The list page of one window: entries, counts, paging and navigation links."""
    size = request.app.state.settings.page_size
    total = count_feed(session, window)
    items = list_feed(session, window, sort=_feed_sort(sort), page=page - 1, limit=size)
    if page > 1 and not items:
        raise HTTPException(404, f"Page {page} is past the end of this list.")
    latest = latest_feed_date(session)
    anchor = min(window.end, latest) if latest and latest >= window.start else window.start
    return render(
        request,
        "feed.html",
        window=window,
        items=items,
        total=total,
        sort=sort,
        sorts=list(PAGE_SORTS),
        page=page,
        pages=max(1, math.ceil(total / size)),
        around=neighbours(session, window),
        views={kind: Window.containing(kind, anchor) for kind in ("day", "week", "month")},
        latest=Window.containing(window.kind, latest) if latest else None,
        active_nav=window.kind,
    )


def _feed_sort(sort: str) -> FeedSort:
    return PAGE_SORTS[sort]  # type: ignore[return-value]


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    date: str | None = Query(None, description="A day, YYYY-MM-DD"),
    sort: PageSort = _SORT_QUERY,
    page: int = _PAGE_QUERY,
    session: Session = Depends(get_db),
) -> HTMLResponse:
    """Today's papers, or the most recent day that has some."""
    window = _window_or_400("day", date) if date else default_window(session, "day")
    return _render_window(request, session, window, sort, page)


@router.get("/date/{day}", response_class=HTMLResponse)
def day_page(
    request: Request, day: str, sort: PageSort = _SORT_QUERY, page: int = _PAGE_QUERY,
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """The papers that entered the feed on one day."""
    return _render_window(request, session, _window_or_400("day", day), sort, page)


def _latest_of(kind: WindowKind):  # type: ignore[no-untyped-def]
    def view(
        request: Request, sort: PageSort = _SORT_QUERY, page: int = _PAGE_QUERY,
        session: Session = Depends(get_db),
    ) -> HTMLResponse:  # fmt: skip
        return _render_window(request, session, default_window(session, kind), sort, page)

    return view


def _keyed(kind: WindowKind):  # type: ignore[no-untyped-def]
    def view(
        request: Request, key: str, sort: PageSort = _SORT_QUERY, page: int = _PAGE_QUERY,
        session: Session = Depends(get_db),
    ) -> HTMLResponse:  # fmt: skip
        return _render_window(request, session, _window_or_400(kind, key), sort, page)

    return view


for _kind in ("week", "month"):
    router.add_api_route(f"/{_kind}", _latest_of(_kind), response_class=HTMLResponse)
    router.add_api_route(f"/{_kind}/{{key}}", _keyed(_kind), response_class=HTMLResponse)


@router.get("/trending", response_class=HTMLResponse)
def trending(
    request: Request, page: int = _PAGE_QUERY, session: Session = Depends(get_db)
) -> HTMLResponse:
    """The whole feed ordered by the time-decayed trending score."""
    size = request.app.state.settings.page_size
    items = list_feed(session, sort="trending", page=page - 1, limit=size)
    if page > 1 and not items:
        raise HTTPException(404, f"Page {page} is past the end of this list.")
    total = count_feed(session)
    return render(
        request, "trending.html", items=items, total=total, page=page,
        pages=max(1, math.ceil(total / size)), active_nav="trending",
    )  # fmt: skip
