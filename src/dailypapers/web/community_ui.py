"""Template helpers of the community partials: vote state, comments, claims and flash messages.

The partials (``upvote_button``, ``comments``, ``authorship``) are included by other areas'
pages, which know nothing about votes or comments; these globals load what a partial needs,
at most once per request, through the request's own session (``web.deps.request_session``):
a template never opens a second database connection.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from jinja2 import Environment, pass_context

from dailypapers.community.auth import CurrentUser
from dailypapers.community.claims import claim_status
from dailypapers.community.comments import CommentView, autolink, list_comments
from dailypapers.web.deps import request_session
from dailypapers.web.library_ui import page_marks


def flash(request: Request, message: str) -> None:
    """Show ``message`` once, on the next page this browser renders."""
    request.session["flash"] = message[:500]


def _request(ctx: Any) -> Request:
    request: Request = ctx["request"]
    return request


def _user(ctx: Any) -> CurrentUser | None:
    user: CurrentUser | None = getattr(_request(ctx).state, "user", None)
    return user


@pass_context
def take_flash(ctx: Any) -> str | None:
    """The pending flash message, removed from the session."""
    request = _request(ctx)
    if "session" not in request.scope:
        return None
    message: str | None = request.session.pop("flash", None)
    return message


@pass_context
def has_upvoted(ctx: Any, paper_id: str) -> bool:
    """Whether the current user upvoted ``paper_id``: one query per page for every listed paper,
    shared with the library's saved / read marks (none if anonymous)."""
    return paper_id in page_marks(ctx, paper_id).upvoted


@pass_context
def paper_comments(ctx: Any, paper_id: str) -> list[CommentView]:
    """The live comments of a paper, for the comments partial."""
    request = _request(ctx)
    return list_comments(request_session(request), paper_id)


@pass_context
def my_claim(ctx: Any, paper_id: str) -> str | None:
    """The current user's claim on the paper: pending, approved, rejected or None."""
    user = _user(ctx)
    if user is None:
        return None
    request = _request(ctx)
    return claim_status(request_session(request), user.id, paper_id)


def register(env: Environment) -> None:
    """Install the helpers in the shared Jinja environment (idempotent)."""
    env.globals.update(
        take_flash=take_flash, has_upvoted=has_upvoted, paper_comments=paper_comments,
        my_claim=my_claim,
    )  # fmt: skip
    env.filters["autolink"] = autolink
