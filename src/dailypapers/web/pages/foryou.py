"""The "For you" pages: a personal ranking of a day, week or month of the feed.

URLs (all work without JavaScript; every form posts here and is redirected back):

- ``/for-you``: the latest day; ``/for-you/day/2025-03-18``, ``/for-you/week/2025-W12``,
  ``/for-you/month/2025-03`` for one window, with previous/next like the feed
- ``POST /for-you/not-interested`` (and ``…/undo``), ``POST /for-you/rules``,
  ``POST /for-you/rules/{id}/delete``, ``POST /for-you/feed-token`` (and ``…/revoke``)
- ``/for-you.xml?token=…``: the private Atom feed of the latest week's ranking
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.feed.windows import Window, WindowKind, parse_window
from dailypapers.feed.windows import sentence as _sentence
from dailypapers.foryou import personal, service
from dailypapers.store.db import writing
from dailypapers.store.queries.feed import default_window, latest_feed_date, neighbours
from dailypapers.store.queries.foryou import has_feed_token, rules_of
from dailypapers.store.queries.papers import get_paper
from dailypapers.web import community_ui
from dailypapers.web.deps import DbId, get_db, get_settings_dep, require_user, safe_next
from dailypapers.web.pages.atom import ATOM_TYPE, atom_document
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
_CSRF = Depends(require_csrf)
_SETTINGS = Depends(get_settings_dep)
FEED_SIZE = 30
KINDS: tuple[WindowKind, ...] = ("day", "week", "month")


def for_you_url(window: Window, page: int = 1) -> str:
    """The page of a window (``/for-you/week/2025-W12``), ``?page=`` after the first."""
    return f"/for-you/{window.kind}/{window.key}" + (f"?page={page}" if page > 1 else "")


def _window(kind: str, key: str) -> Window:
    if kind not in KINDS:
        raise HTTPException(404, "Use /for-you/day/…, /for-you/week/… or /for-you/month/….")
    try:
        return parse_window(kind, key)
    except ValueError as exc:
        raise HTTPException(400, _sentence(str(exc))) from None


def _render(
    request: Request, session: Session, user: CurrentUser, window: Window, page: int,
    new_token: str | None = None,
) -> HTMLResponse:  # fmt: skip
    hidden = request.query_params.get("hidden")
    hidden_item = get_paper(session, hidden) if hidden else None
    settings: Settings = request.app.state.settings
    size = settings.page_size
    found = personal.page(
        session, user.id, window.start, window.end, model=settings.embedding_model,
        offset=(page - 1) * size, limit=size,
    )  # fmt: skip
    latest = latest_feed_date(session)
    anchor = min(window.end, latest) if latest and latest >= window.start else window.start
    return render(
        request, "foryou/page.html", window=window, entries=found.entries, total=found.total,
        cold=found.cold, page=page, pages=max(1, math.ceil(found.total / size)),
        around=neighbours(session, window), for_you_url=for_you_url,
        views={k: Window.containing(k, anchor) for k in KINDS}, rules=rules_of(session, user.id),
        has_token=has_feed_token(session, user.id), new_token=new_token, hidden=hidden_item,
        feed_url_base=settings.base_url.rstrip("/") + "/for-you.xml?token=", active_nav="for-you",
        next_url=for_you_url(window, page),
    )  # fmt: skip


@router.get("/for-you", response_class=HTMLResponse)
def for_you_latest(
    request: Request, page: int = Query(1, ge=1, le=10_000),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """Your ranking of the latest day of the feed."""
    return _render(request, session, user, default_window(session, "day"), page)


@router.get("/for-you/{kind}/{key}", response_class=HTMLResponse)
def for_you_window(
    request: Request, kind: str, key: str, page: int = Query(1, ge=1, le=10_000),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """Your ranking of one day, week or month."""
    return _render(request, session, user, _window(kind, key), page)


def _back(request: Request, target: str, message: str | None = None) -> RedirectResponse:
    if message:
        community_ui.flash(request, message)
    return RedirectResponse(safe_next(target or "/for-you"), status_code=303)


_LIMIT = Depends(rate_limit("not-interested", per_minute=120))


@router.post("/for-you/not-interested", dependencies=[_CSRF, _LIMIT])
def not_interested(
    request: Request, paper_id: str = Form(...), next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> Response:  # fmt: skip
    with writing(session, settings):
        pid = service.mark_not_interested(session, user.id, paper_id)
    target = safe_next(next or "/for-you")
    return _back(request, target + ("&" if "?" in target else "?") + f"hidden={pid}")


@router.post("/for-you/not-interested/undo", dependencies=[_CSRF, _LIMIT])
def undo_not_interested(
    request: Request, paper_id: str = Form(...), next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> Response:  # fmt: skip
    with writing(session, settings):
        service.unmark_not_interested(session, user.id, paper_id)
    return _back(request, next, "The paper is back, and its mark is forgotten.")


_RULES_LIMIT = Depends(rate_limit("rules", per_minute=30))


@router.post("/for-you/rules", dependencies=[_CSRF, _RULES_LIMIT])
def add_rule(
    request: Request, action: str = Form(...), query: str = Form(""), next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> Response:  # fmt: skip
    with writing(session, settings):
        rule = service.add_rule(session, user.id, action, query)
        text = f"Rule added: {rule.action} show papers matching “{rule.query}”."
    return _back(request, next, text)


@router.post("/for-you/rules/{rule_id}/delete", dependencies=[_CSRF, _RULES_LIMIT])
def delete_rule(
    request: Request, rule_id: DbId, next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> Response:  # fmt: skip
    with writing(session, settings):
        service.delete_rule(session, user.id, rule_id)
    return _back(request, next, "Rule deleted.")


@router.post("/for-you/feed-token", response_class=HTMLResponse, dependencies=[_CSRF])
def new_feed_token(
    request: Request, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> HTMLResponse:  # fmt: skip
    """Make a new private feed link (shown once on the page; the old link stops working)."""
    with writing(session, settings):
        token = service.new_feed_token(session, user.id)
    return _render(request, session, user, default_window(session, "day"), 1, new_token=token)


@router.post("/for-you/feed-token/revoke", dependencies=[_CSRF])
def revoke_feed_token(
    request: Request, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> Response:  # fmt: skip
    with writing(session, settings):
        service.revoke_feed_token(session, user.id)
    return _back(request, "/for-you", "Your private feed link no longer works.")


@router.get("/for-you.xml", response_class=Response)
def private_feed(
    token: str = Query("", max_length=200),
    session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> Response:
    """The latest week's ranking as Atom, for a feed reader (private: keep the link secret)."""
    user_id = service.feed_token_user(session, token)
    window = default_window(session, "week")
    found = personal.page(session, user_id, window.start, window.end,
                          model=settings.embedding_model, limit=FEED_SIZE)  # fmt: skip
    base = settings.base_url.rstrip("/")
    body = atom_document(
        settings, title=f"{settings.site_name}: for you", self_url=f"{base}/for-you.xml",
        alternate=f"{base}/for-you", items=[e.item for e in found.entries],
    )  # fmt: skip
    return Response(body, media_type=ATOM_TYPE, headers={"Cache-Control": "private, no-store"})
