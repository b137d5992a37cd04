"""Community pages and form posts: submit, upvote, comment, claim, links, moderation,
organization pages (``/{org}/papers``) and author pages (``/authors/{name}``).

Every form works without JavaScript: it posts here and is redirected back (303) with a
one-time flash message on problems. ``static/community.js`` upgrades the upvote button to an
in-place toggle through the JSON API.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community import claims, comments, submissions, votes
from dailypapers.community.auth import CurrentUser
from dailypapers.community.errors import CommunityError
from dailypapers.store.db import writing
from dailypapers.store.queries import people
from dailypapers.store.queries.papers import require_paper_id
from dailypapers.store.queries.people import PaperListing
from dailypapers.web import community_ui
from dailypapers.web.deps import (
    DbId,
    come_back,
    current_user,
    get_db,
    require_admin,
    require_user,
    safe_next,
)
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)
_CSRF = Depends(require_csrf)
# First path segments that are pages of their own, never organizations.
RESERVED = {"api", "static", "papers", "authors", "date", "week", "month", "admin", "settings",
            "search", "docs", "trending", "submit", "login", "signup"}  # fmt: skip


def _back(request: Request, target: str, message: str | None = None) -> RedirectResponse:
    if message:
        community_ui.flash(request, message)
    return RedirectResponse(safe_next(target), status_code=303)


# --- submit --------------------------------------------------------------------------------------
@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, user: CurrentUser = Depends(require_user)) -> HTMLResponse:
    return render(request, "community/submit.html", form={})


@router.post("/submit", response_class=HTMLResponse,
             dependencies=[_CSRF, Depends(rate_limit("submit", per_minute=10))])  # fmt: skip
def submit(
    request: Request, id: str = Form(""), user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    settings = request.app.state.settings
    try:
        lookup = submissions.look_up(session, settings, user, id)
        session.rollback()  # end the read before the write lock (SQLite: no stale snapshot)
        with writing(session, settings):
            done = submissions.submit_paper(session, settings, user, lookup)
    except CommunityError as exc:
        return render(request, "community/submit.html", exc.status, form={"id": id},
                      error=exc.message)  # fmt: skip
    if done.fetched:
        submissions.queue_indexing(settings, [done.paper_id])
    return _back(request, f"/papers/{done.paper_id}", "Thanks! The paper is in today's feed.")


# --- upvotes and comments (form fallbacks of the JSON API) ---------------------------------------
def _login_to_vote(request: Request, target: str) -> RedirectResponse:
    """An anonymous vote: to the log-in page, which says why, then back to the same entry
    (the form's ``next``, else the page that had the form)."""
    query = urlencode({"next": safe_next(target or come_back(request)), "why": "upvote"})
    return RedirectResponse(f"/login?{query}", status_code=303)


@router.post("/papers/{paper_id:paper_id}/upvote",
             dependencies=[_CSRF, Depends(rate_limit("upvote", per_minute=60))])  # fmt: skip
def upvote(
    request: Request, paper_id: str, next: str = Form(""),
    user: CurrentUser | None = Depends(current_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = require_paper_id(paper_id)
    if user is None:
        return _login_to_vote(request, next)
    settings = request.app.state.settings
    with writing(session, settings):
        votes.upvote(session, settings, user.id, pid)
    return _back(request, next or f"/papers/{pid}")


@router.post("/papers/{paper_id:paper_id}/unvote",
             dependencies=[_CSRF, Depends(rate_limit("upvote", per_minute=60))])  # fmt: skip
def unvote(
    request: Request, paper_id: str, next: str = Form(""),
    user: CurrentUser | None = Depends(current_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = require_paper_id(paper_id)
    if user is None:
        return _login_to_vote(request, next)
    settings = request.app.state.settings
    with writing(session, settings):
        votes.remove_upvote(session, settings, user.id, pid)
    return _back(request, next or f"/papers/{pid}")


@router.post("/papers/{paper_id:paper_id}/comments",
             dependencies=[_CSRF, Depends(rate_limit("comment", per_minute=10))])  # fmt: skip
def add_comment(
    request: Request, paper_id: str, text: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = require_paper_id(paper_id)
    settings = request.app.state.settings
    try:
        with writing(session, settings):
            view = comments.add_comment(session, settings, user, pid, text)
    except CommunityError as exc:
        return _back(request, f"/papers/{pid}#comments", exc.message)
    return _back(request, f"/papers/{pid}#comment-{view.id}")


@router.post("/comments/{comment_id}/edit",
             dependencies=[_CSRF, Depends(rate_limit("comment", per_minute=10))])  # fmt: skip
def edit_comment(
    request: Request, comment_id: DbId, text: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    try:
        with writing(session, request.app.state.settings):
            view = comments.edit_comment(session, user, comment_id, text)
    except CommunityError as exc:
        if exc.status in (403, 404):
            raise
        return _back(request, request.headers.get("referer", "/").split("#")[0], exc.message)
    return _back(request, f"/papers/{view.paper_id}#comment-{view.id}")


@router.post("/comments/{comment_id}/delete", dependencies=[_CSRF])
def delete_comment(
    request: Request, comment_id: DbId, next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    settings = request.app.state.settings
    with writing(session, settings):
        paper_id = comments.delete_comment(session, settings, user, comment_id)
    return _back(request, next or f"/papers/{paper_id}#comments", "Comment deleted.")


# --- authorship ----------------------------------------------------------------------------------
_CLAIM_LIMIT = Depends(rate_limit("claim", per_hour=claims.CLAIMS_PER_HOUR))


@router.post("/papers/{paper_id:paper_id}/claim", dependencies=[_CSRF, _CLAIM_LIMIT])
def claim(
    request: Request, paper_id: str, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = require_paper_id(paper_id)
    with writing(session, request.app.state.settings):
        claims.claim_paper(session, user, pid)
    return _back(request, f"/papers/{pid}#authorship-title",
                 "Claim filed: an administrator will confirm it.")  # fmt: skip


@router.post("/papers/{paper_id:paper_id}/links", dependencies=[_CSRF])
def set_links(
    request: Request, paper_id: str, github_repo: str = Form(""), project_page: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = require_paper_id(paper_id)
    try:
        with writing(session, request.app.state.settings):
            claims.set_links(session, user, pid, github_repo, project_page)
    except CommunityError as exc:
        if exc.status in (403, 404):
            raise
        return _back(request, f"/papers/{pid}#authorship-title", exc.message)
    return _back(request, f"/papers/{pid}", "Links saved.")


# --- moderation ----------------------------------------------------------------------------------
@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request, user: CurrentUser = Depends(require_admin), session: Session = Depends(get_db)
) -> HTMLResponse:
    return render(request, "community/admin.html", claims=claims.pending_claims(session),
                  comments=comments.recent_comments(session))  # fmt: skip


@router.post("/admin/claims/{claim_id}", dependencies=[_CSRF])
def decide(
    request: Request, claim_id: DbId, decision: str = Form(""),
    user: CurrentUser = Depends(require_admin), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    if decision not in ("approve", "reject"):
        raise HTTPException(422, "Decide with approve or reject.")
    with writing(session, request.app.state.settings):
        claims.decide_claim(session, claim_id, decision == "approve")
    return _back(request, "/admin", f"Claim {decision}d.")


# --- organization and author pages ---------------------------------------------------------------
def _listing(
    request: Request, session: Session, found: PaperListing, page: int, **ctx: Any
) -> HTMLResponse:
    if page > 1 and not found.items:
        raise HTTPException(404, f"Page {page} is past the end of this list.")
    size = request.app.state.settings.page_size
    return render(request, "community/listing.html", items=found.items, total=found.total,
                  page=page, pages=max(1, math.ceil(found.total / size)), **ctx)  # fmt: skip


@router.get("/authors/{name}", response_class=HTMLResponse)
def author_page(
    request: Request, name: str, page: int = Query(1, ge=1, le=10_000),
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    size = request.app.state.settings.page_size
    found = people.author_papers(session, name, page=page, size=size)
    if found is None:
        raise HTTPException(404, f"No papers by {name!r} here.")
    return _listing(request, session, found, page, heading=found.heading, eyebrow="Author")


@router.get("/{org}/papers", response_class=HTMLResponse)
def organization_page(
    request: Request, org: str, page: int = Query(1, ge=1, le=10_000),
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """Papers of an organization, by its exact name (any case) or slug."""
    if org.lower() in RESERVED:
        raise HTTPException(404, "Not found.")
    size = request.app.state.settings.page_size
    found = people.organization_papers(session, org, page=page, size=size)
    if found is None:
        raise HTTPException(404, f"No papers from an organization called {org!r} here.")
    return _listing(request, session, found, page, heading=found.heading,
                    eyebrow="Organization")  # fmt: skip
