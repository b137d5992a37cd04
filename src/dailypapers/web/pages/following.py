"""``/following`` (follows, each with a page of recent papers), the digest link of follows, and
public profiles (``/users/{name}``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import DomainError, Invalid, NotFound
from dailypapers.library import account, follows
from dailypapers.search import SearchRequest, get_index, search
from dailypapers.store.db import writing
from dailypapers.store.queries.papers import papers_by_ids
from dailypapers.store.queries.profiles import public_profile
from dailypapers.web.deps import DbId, get_db, get_settings_dep, require_user
from dailypapers.web.pages.library import back
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
_CSRF = Depends(require_csrf)
_DB = Depends(get_db)
_SETTINGS = Depends(get_settings_dep)
_WRITES = [_CSRF, Depends(rate_limit("library", per_minute=120))]


# --- follows -------------------------------------------------------------------------------------
@router.get("/following", response_class=HTMLResponse)
def following_page(
    request: Request, user: CurrentUser = Depends(require_user), session: Session = _DB
) -> HTMLResponse:
    return render(
        request,
        "library/following.html",
        follows=follows.list_follows(session, user.id),
        search_query=follows.search_query,
        active_nav="following",
        linked=account.linked_subscription(session, user.id),
    )


@router.post("/following", dependencies=_WRITES)
def follow(
    request: Request,
    kind: str = Form(...),
    value: str = Form(...),
    next: str = Form("/following"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    try:
        with writing(session, settings):
            follows.follow(session, user.id, kind, value)
    except Invalid as exc:
        return back(request, next, exc.message)
    return back(request, next, f"You follow {value.strip()} now.")


@router.post("/following/unfollow", dependencies=_WRITES)
def unfollow(
    request: Request,
    kind: str = Form(...),
    value: str = Form(...),
    next: str = Form("/following"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        follows.unfollow(session, user.id, kind, value)
    return back(request, next, f"You no longer follow {value.strip()}.")


@router.post("/following/digest", dependencies=_WRITES)
def follows_to_digest(
    request: Request, user: CurrentUser = Depends(require_user), session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:  # fmt: skip
    """Make the linked digest subscription's topics the user's follows."""
    try:
        with writing(session, settings):
            topics = account.follows_as_digest_topics(session, user.id)
    except DomainError as exc:
        return back(request, "/following", exc.message)
    return back(request, "/following", f"Your digest now follows {len(topics)} topics.")


@router.get("/following/{follow_id}", response_class=HTMLResponse)
def follow_page(
    request: Request,
    follow_id: DbId,
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> HTMLResponse:
    """The newest papers a follow matches (the same query as its Atom feed)."""
    get_index(settings)  # before the first query: one connection per request
    row = follows.get_follow(session, user.id, follow_id)
    q = follows.search_query(row.kind, row.value)
    result = search(settings, session, SearchRequest(q=q, sort="date", limit=50))
    return render(
        request,
        "library/follow.html",
        follow=row,
        q=q,
        items=result.items,
        total=result.total,
        active_nav="following",
    )


# --- profiles ------------------------------------------------------------------------------------
@router.get("/users/{name}", response_class=HTMLResponse)
def profile_page(request: Request, name: str, session: Session = _DB) -> HTMLResponse:
    """Public collections, submissions and comments; upvotes only if the user shows them."""
    profile = public_profile(session, name)
    if profile is None:
        raise NotFound(f"No user called {name!r}.")
    return render(
        request,
        "library/profile.html",
        profile=profile,
        items=papers_by_ids(session, profile.upvoted_ids),
    )
