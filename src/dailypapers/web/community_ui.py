"""Template helpers of the community partials: vote state, comments, claims and flash messages.

The partials (``upvote_button``, ``comments``, ``authorship``) are included by other areas'
pages, which know nothing about votes or comments; these globals load what a partial needs,
at most once per request, through the request's own app.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from jinja2 import Environment, pass_context
from sqlalchemy import select

from dailypapers.community.claims import claim_status
from dailypapers.community.comments import CommentView, autolink, list_comments
from dailypapers.store.models import Upvote

_VOTE_SCAN_LIMIT = 20_000  # a user's newest votes considered when marking buttons


def flash(request: Request, message: str) -> None:
    """Show ``message`` once, on the next page this browser renders."""
    request.session["flash"] = message[:500]


def _request(ctx: Any) -> Request:
    return ctx["request"]


def _user(ctx: Any):  # type: ignore[no-untyped-def]
    return getattr(_request(ctx).state, "user", None)


@pass_context
def take_flash(ctx: Any) -> str | None:
    """The pending flash message, removed from the session."""
    request = _request(ctx)
    if "session" not in request.scope:
        return None
    return request.session.pop("flash", None)


@pass_context
def has_upvoted(ctx: Any, paper_id: str) -> bool:
    """Whether the current user upvoted ``paper_id`` (one query per request, none if anonymous)."""
    user = _user(ctx)
    if user is None:
        return False
    request = _request(ctx)
    voted = getattr(request.state, "voted_ids", None)
    if voted is None:
        with request.app.state.sessionmaker() as session:
            voted = set(
                session.scalars(
                    select(Upvote.paper_id)
                    .where(Upvote.user_id == user.id)
                    .order_by(Upvote.created_at.desc())
                    .limit(_VOTE_SCAN_LIMIT)
                )
            )
        request.state.voted_ids = voted
    return paper_id in voted


@pass_context
def paper_comments(ctx: Any, paper_id: str) -> list[CommentView]:
    """The live comments of a paper, for the comments partial."""
    with _request(ctx).app.state.sessionmaker() as session:
        return list_comments(session, paper_id)


@pass_context
def my_claim(ctx: Any, paper_id: str) -> str | None:
    """The current user's claim on the paper: pending, approved, rejected or None."""
    user = _user(ctx)
    if user is None:
        return None
    with _request(ctx).app.state.sessionmaker() as session:
        return claim_status(session, user.id, paper_id)


def register(env: Environment) -> None:
    """Install the helpers in the shared Jinja environment (idempotent)."""
    env.globals.update(
        take_flash=take_flash, has_upvoted=has_upvoted, paper_comments=paper_comments,
        my_claim=my_claim,
    )  # fmt: skip
    env.filters["autolink"] = autolink
