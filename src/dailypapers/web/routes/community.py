"""Community pages and form posts: submit, upvote, comment, claim, links, moderation,
organization pages (``/{org}/papers``) and author pages (``/authors/{name}``).

Every form works without JavaScript: it posts here and is redirected back (303) with a
one-time flash message on problems. ``static/community.js`` upgrades the upvote button to an
in-place toggle through the JSON API.
"""

from __future__ import annotations

import math
import re

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community import claims, comments, submissions, votes
from dailypapers.community.auth import CurrentUser, require_admin, require_user, safe_next
from dailypapers.community.errors import CommunityError
from dailypapers.feed.queries import normalise_paper_id, papers_by_ids
from dailypapers.store.models import Comment, Paper, PaperAuthor
from dailypapers.store.records import normalise_name
from dailypapers.web import community_ui
from dailypapers.web.deps import get_db
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


def _pid(raw: str) -> str:
    pid = normalise_paper_id(raw)
    if pid is None:
        raise HTTPException(404, f"No paper with id {raw!r}.")
    return pid


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
    try:
        done = submissions.submit_paper(session, request.app.state.settings, user, id)
    except CommunityError as exc:
        return render(request, "community/submit.html", exc.status, form={"id": id},
                      error=exc.message)  # fmt: skip
    return _back(request, f"/papers/{done.paper_id}", "Thanks! The paper is in today's feed.")


# --- upvotes and comments (form fallbacks of the JSON API) ---------------------------------------
@router.post("/papers/{paper_id:paper_id}/upvote",
             dependencies=[_CSRF, Depends(rate_limit("upvote", per_minute=60))])  # fmt: skip
def upvote(
    request: Request, paper_id: str, next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = _pid(paper_id)
    try:
        votes.upvote(session, request.app.state.settings, user.id, pid)
    except CommunityError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _back(request, next or f"/papers/{pid}")


@router.post("/papers/{paper_id:paper_id}/unvote",
             dependencies=[_CSRF, Depends(rate_limit("upvote", per_minute=60))])  # fmt: skip
def unvote(
    request: Request, paper_id: str, next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = _pid(paper_id)
    try:
        votes.remove_upvote(session, request.app.state.settings, user.id, pid)
    except CommunityError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _back(request, next or f"/papers/{pid}")


@router.post("/papers/{paper_id:paper_id}/comments",
             dependencies=[_CSRF, Depends(rate_limit("comment", per_minute=10))])  # fmt: skip
def add_comment(
    request: Request, paper_id: str, text: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = _pid(paper_id)
    try:
        view = comments.add_comment(session, request.app.state.settings, user, pid, text)
    except CommunityError as exc:
        return _back(request, f"/papers/{pid}#comments", exc.message)
    return _back(request, f"/papers/{pid}#comment-{view.id}")


@router.post("/comments/{comment_id}/edit",
             dependencies=[_CSRF, Depends(rate_limit("comment", per_minute=10))])  # fmt: skip
def edit_comment(
    request: Request, comment_id: int, text: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    try:
        view = comments.edit_comment(session, user, comment_id, text)
    except CommunityError as exc:
        if exc.status in (403, 404):
            raise HTTPException(exc.status, exc.message) from None
        return _back(request, request.headers.get("referer", "/").split("#")[0], exc.message)
    return _back(request, f"/papers/{view.paper_id}#comment-{view.id}")


@router.post("/comments/{comment_id}/delete", dependencies=[_CSRF])
def delete_comment(
    request: Request, comment_id: int, next: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    try:
        paper_id = session.scalar(select(Comment.paper_id).where(Comment.id == comment_id))
        comments.delete_comment(session, request.app.state.settings, user, comment_id)
    except CommunityError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _back(request, next or f"/papers/{paper_id}#comments", "Comment deleted.")


# --- authorship ----------------------------------------------------------------------------------
@router.post("/papers/{paper_id:paper_id}/claim", dependencies=[_CSRF])
def claim(
    request: Request, paper_id: str, user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = _pid(paper_id)
    try:
        claims.claim_paper(session, user, pid)
    except CommunityError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _back(request, f"/papers/{pid}#authorship-title",
                 "Claim filed: an administrator will confirm it.")  # fmt: skip


@router.post("/papers/{paper_id:paper_id}/links", dependencies=[_CSRF])
def set_links(
    request: Request, paper_id: str, github_repo: str = Form(""), project_page: str = Form(""),
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    pid = _pid(paper_id)
    try:
        claims.set_links(session, user, pid, github_repo, project_page)
    except CommunityError as exc:
        if exc.status in (403, 404):
            raise HTTPException(exc.status, exc.message) from None
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
    request: Request, claim_id: int, decision: str = Form(""),
    user: CurrentUser = Depends(require_admin), session: Session = Depends(get_db),
) -> Response:  # fmt: skip
    if decision not in ("approve", "reject"):
        raise HTTPException(422, "Decide with approve or reject.")
    try:
        claims.decide_claim(session, claim_id, decision == "approve")
    except CommunityError as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _back(request, "/admin", f"Claim {decision}d.")


# --- organization and author pages ---------------------------------------------------------------
def org_slug(name: str) -> str:
    """``Google DeepMind`` → ``google-deepmind``: how organization URLs may also be written."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_name(name)).strip("-")


def _listing(request: Request, session: Session, where, page: int, **ctx: object):  # type: ignore[no-untyped-def]
    size = request.app.state.settings.page_size
    total = session.scalar(select(func.count(distinct(Paper.id))).where(where)) or 0
    ids = session.scalars(
        select(Paper.id).where(where)
        .order_by(Paper.published_on.desc(), Paper.id.desc())
        .limit(size).offset((page - 1) * size)
    ).all()  # fmt: skip
    if page > 1 and not ids:
        raise HTTPException(404, f"Page {page} is past the end of this list.")
    return render(request, "community/listing.html", items=papers_by_ids(session, ids),
                  total=total, page=page, pages=max(1, math.ceil(total / size)), **ctx)  # fmt: skip


@router.get("/authors/{name}", response_class=HTMLResponse)
def author_page(
    request: Request, name: str, page: int = Query(1, ge=1, le=10_000),
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    key = normalise_name(name)[:300]
    shown = session.scalar(select(PaperAuthor.name).where(PaperAuthor.name_norm == key).limit(1))
    if shown is None:
        raise HTTPException(404, f"No papers by {name!r} here.")
    where = Paper.id.in_(select(PaperAuthor.paper_id).where(PaperAuthor.name_norm == key))
    return _listing(request, session, where, page, heading=shown, eyebrow="Author")


@router.get("/{org}/papers", response_class=HTMLResponse)
def organization_page(
    request: Request, org: str, page: int = Query(1, ge=1, le=10_000),
    session: Session = Depends(get_db),
) -> HTMLResponse:  # fmt: skip
    """Papers of an organization, by its exact name (any case) or slug."""
    if org.lower() in RESERVED:
        raise HTTPException(404, "Not found.")
    wanted, slug = org.strip().lower(), org_slug(org)
    names = [
        name for name in session.scalars(select(Paper.organization).distinct())
        if name and (name.lower() == wanted or org_slug(name) == slug)
    ]  # fmt: skip
    if not names:
        raise HTTPException(404, f"No papers from an organization called {org!r} here.")
    return _listing(request, session, Paper.organization.in_(names), page,
                    heading=names[0], eyebrow="Organization")  # fmt: skip
