"""Community write API: submit, upvote, comment, claim, links, and API tokens.

Scripts authenticate with ``Authorization: Bearer TOKEN`` (no CSRF token needed); the site's
own scripts use the session cookie plus the ``X-CSRF-Token`` header. Errors are JSON
``{"error": "..."}`` with 401 (no or bad credentials), 403, 404, 409, 422 or 429.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community import claims, comments, submissions, votes
from dailypapers.community.auth import (
    CurrentUser,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)
from dailypapers.config import Settings
from dailypapers.store.db import writing
from dailypapers.store.models import Paper
from dailypapers.store.queries.papers import require_paper_id
from dailypapers.web.api.schemas import (
    ClaimOut,
    CommentDeleted,
    CommentOut,
    LinksOut,
    SubmissionOut,
    TokenCreated,
    TokenInfo,
    TokenRevoked,
    UserPublic,
    VoteOut,
    errors,
)
from dailypapers.web.deps import DbId, get_db, get_settings_dep, require_user, require_writer
from dailypapers.web.ratelimit import rate_limit

router = APIRouter(tags=["community"])


class SubmitIn(BaseModel):
    id: str = Field(..., description="arXiv id or URL", examples=["2511.01234"])


class CommentIn(BaseModel):
    text: str = Field(..., description="Plain text; http(s) links become links.")


class TokenIn(BaseModel):
    name: str = Field("", max_length=100, description="A label to recognise the token by.")


class LinksIn(BaseModel):
    githubRepo: str | None = None
    projectPage: str | None = None


_SETTINGS = Depends(get_settings_dep)


@router.get("/api/me", summary="The authenticated user", response_model=UserPublic,
            responses=errors(401))  # fmt: skip
def me(user: CurrentUser = Depends(require_user)) -> dict:
    """Who the token or session belongs to."""
    return {"name": user.username, "email": user.email, "isAdmin": user.is_admin}


@router.post(
    "/api/papers/submit",
    status_code=201,
    summary="Submit a paper to today's feed",
    response_model=SubmissionOut,
    responses=errors(401, 403, 404, 409, 422, 429),
    dependencies=[Depends(rate_limit("submit", per_minute=10))],
)
def submit(
    body: SubmitIn, settings: Settings = _SETTINGS, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db),
) -> dict:  # fmt: skip
    """Add a paper by arXiv id or URL; metadata from the local database or the arXiv API."""
    lookup = submissions.look_up(session, settings, user, body.id)
    session.rollback()  # end the read before the write lock (SQLite: no stale snapshot)
    with writing(session, settings):
        done = submissions.submit_paper(session, settings, user, lookup)
    if done.fetched:
        submissions.queue_indexing(settings, [done.paper_id])
    return done.as_json()


@router.post(
    "/api/papers/{paper_id:paper_id}/upvote",
    summary="Upvote a paper (idempotent)",
    response_model=VoteOut,
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(rate_limit("upvote", per_minute=60))],
)
def upvote(
    paper_id: str, settings: Settings = _SETTINGS, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db),
) -> dict:  # fmt: skip
    """Add your upvote; a second call changes nothing."""
    with writing(session, settings):
        result = votes.upvote(session, settings, user.id, require_paper_id(paper_id))
    return {"id": result.paper_id, "upvotes": result.upvotes, "upvoted": result.upvoted}


@router.delete(
    "/api/papers/{paper_id:paper_id}/upvote",
    summary="Withdraw an upvote (idempotent)",
    response_model=VoteOut,
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(rate_limit("upvote", per_minute=60))],
)
def remove_upvote(
    paper_id: str, settings: Settings = _SETTINGS, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db),
) -> dict:  # fmt: skip
    """Remove your upvote; a second call changes nothing."""
    with writing(session, settings):
        result = votes.remove_upvote(session, settings, user.id, require_paper_id(paper_id))
    return {"id": result.paper_id, "upvotes": result.upvotes, "upvoted": result.upvoted}


@router.get("/api/papers/{paper_id:paper_id}/comments", summary="Comments on a paper",
            response_model=list[CommentOut], responses=errors(404, 422))  # fmt: skip
def list_comments(paper_id: str, session: Session = Depends(get_db)) -> list[dict]:
    """The paper's live comments, oldest first."""
    pid = require_paper_id(paper_id)
    found = comments.list_comments(session, pid)
    if not found and session.get(Paper, pid) is None:
        raise HTTPException(404, f"No paper with id {paper_id!r}.")
    return [c.as_json() for c in found]


@router.post(
    "/api/papers/{paper_id:paper_id}/comments",
    status_code=201,
    summary="Comment on a paper",
    response_model=CommentOut,
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(rate_limit("comment", per_minute=10))],
)
def add_comment(
    paper_id: str, body: CommentIn, settings: Settings = _SETTINGS,
    user: CurrentUser = Depends(require_writer), session: Session = Depends(get_db),
) -> dict:  # fmt: skip
    """Post a plain-text comment (links become links)."""
    with writing(session, settings):
        view = comments.add_comment(session, settings, user, require_paper_id(paper_id), body.text)
    return view.as_json()


@router.patch(
    "/api/comments/{comment_id}",
    summary="Edit your comment",
    response_model=CommentOut,
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(rate_limit("comment", per_minute=10))],
)
def edit_comment(
    comment_id: DbId, body: CommentIn, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    """Replace the text of one of your comments."""
    with writing(session, settings):
        return comments.edit_comment(session, user, comment_id, body.text).as_json()


@router.delete("/api/comments/{comment_id}", summary="Delete your comment (admins: any)",
               response_model=CommentDeleted, responses=errors(401, 403, 404, 422))  # fmt: skip
def delete_comment(
    comment_id: DbId, settings: Settings = _SETTINGS, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db),
) -> dict:  # fmt: skip
    """Delete one of your comments; administrators may delete any."""
    with writing(session, settings):
        comments.delete_comment(session, settings, user, comment_id)
    return {"deleted": comment_id}


@router.post(
    "/api/papers/{paper_id:paper_id}/claim",
    summary="Claim authorship of a paper",
    response_model=ClaimOut,
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(rate_limit("claim", per_hour=claims.CLAIMS_PER_HOUR))],
)
def claim(
    paper_id: str, user: CurrentUser = Depends(require_writer), session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    """Ask to be recognised as an author; an administrator approves the claim."""
    with writing(session, settings):
        status = claims.claim_paper(session, user, require_paper_id(paper_id))
    return {"id": paper_id, "claim": status}


@router.put("/api/papers/{paper_id:paper_id}/links", summary="Set code and project links",
            response_model=LinksOut, responses=errors(401, 403, 404, 422))  # fmt: skip
def set_links(
    paper_id: str, body: LinksIn, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    """For confirmed authors and admins; an empty or null value clears a link."""
    with writing(session, settings):
        paper = claims.set_links(
            session, user, require_paper_id(paper_id), body.githubRepo, body.projectPage
        )
    return {"id": paper.id, "githubRepo": paper.github_repo, "projectPage": paper.project_page}


@router.get("/api/tokens", summary="Your API tokens (without their secret)",
            response_model=list[TokenInfo], responses=errors(401))  # fmt: skip
def tokens(user: CurrentUser = Depends(require_user), session: Session = Depends(get_db)) -> list:
    """Your live tokens, with when each was made and last used."""
    return [
        {"id": t.id, "name": t.name, "createdAt": t.created_at.isoformat() + "Z",
         "lastUsedAt": t.last_used_at.isoformat() + "Z" if t.last_used_at else None}
        for t in list_api_tokens(session, user.id)
    ]  # fmt: skip


@router.post(
    "/api/tokens",
    status_code=201,
    summary="Create an API token (shown once)",
    response_model=TokenCreated,
    responses=errors(401, 403, 422, 429),
    dependencies=[Depends(rate_limit("token", per_hour=30))],
)
def new_token(
    body: TokenIn, user: CurrentUser = Depends(require_writer), session: Session = Depends(get_db)
) -> dict:
    """A new token for `Authorization: Bearer`; store it, it is not shown again."""
    token = create_api_token(session, user.id, body.name)
    session.commit()
    return {"token": token, "name": body.name}


@router.delete("/api/tokens/{token_id}", summary="Revoke an API token",
               response_model=TokenRevoked, responses=errors(401, 403, 404, 422))  # fmt: skip
def revoke_token(
    token_id: DbId, user: CurrentUser = Depends(require_writer), session: Session = Depends(get_db)
) -> dict:
    """Revoke one of your tokens; requests with it fail from now on."""
    if not revoke_api_token(session, user.id, token_id):
        raise HTTPException(404, f"You have no live token with id {token_id}.")
    session.commit()
    return {"revoked": token_id}
