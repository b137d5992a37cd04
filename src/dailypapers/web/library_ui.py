"""Template helpers of the library partials: saved / read marks, follows, notes, hide-read.

List partials (``save_button``, ``read_button``) ask about one paper at a time; the first
question of a page answers for every paper the page lists (``items``, ``similar``, ``paper``)
with one query (``store.queries.library.marks_for``: upvotes, saves, read marks and the
hide-read switch together), through the request's own session. The upvote button reads the
same marks, so a signed-in list page costs the user's row plus this one query.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from jinja2 import Environment, pass_context
from markupsafe import Markup

from dailypapers.community.auth import CurrentUser
from dailypapers.library.follows import clean, search_query
from dailypapers.library.formats.export import plain_citation
from dailypapers.library.notes import render_note
from dailypapers.store.queries.library import EMPTY_MARKS, PaperMarks, marks_for
from dailypapers.store.queries.library import follow_keys as _follow_keys
from dailypapers.web.deps import request_session


def _request(ctx: Any) -> Request:
    request: Request = ctx["request"]
    return request


def _user(ctx: Any) -> CurrentUser | None:
    user: CurrentUser | None = getattr(_request(ctx).state, "user", None)
    return user


def _listed_ids(ctx: Any) -> list[str]:
    listed = [
        *(ctx.get("items") or ()),
        *(ctx.get("similar") or ()),
        ctx.get("paper"),
        ctx.get("item"),
    ]
    ids = [getattr(getattr(i, "paper", i), "id", None) for i in listed]
    return [pid for pid in ids if isinstance(pid, str)]


def page_marks(ctx: Any, paper_id: str | None = None) -> PaperMarks:
    """The marks of every paper on the page (one query the first time, cached on the request;
    a paper not seen yet costs one more query). Called four times per list entry, so the
    common case (already known) is a couple of dictionary lookups."""
    request = _request(ctx)
    cached: dict[str, Any] = request.state._state  # Starlette's State keeps its values here
    marks: PaperMarks | None = cached.get("lib_marks")
    if marks is not None and (
        paper_id is None or paper_id in cached["lib_ids"] or cached.get("lib_anonymous")
    ):
        return marks
    user = _user(ctx)
    if user is None:
        cached.update(lib_marks=EMPTY_MARKS, lib_ids=frozenset(), lib_anonymous=True)
        return EMPTY_MARKS
    known: frozenset[str] = cached.get("lib_ids", frozenset())
    wanted = set(_listed_ids(ctx)) | ({paper_id} if paper_id else set())
    fresh = marks is None
    found = marks_for(request_session(request), user.id, wanted - known, with_prefs=fresh)
    old = marks or EMPTY_MARKS
    marks = PaperMarks(
        old.upvoted | found.upvoted,
        old.saved | found.saved,
        old.read | found.read,
        found.hide_read if fresh else old.hide_read,
    )
    cached.update(lib_marks=marks, lib_ids=known | wanted)
    return marks


@pass_context
def is_saved(ctx: Any, paper_id: str) -> bool:
    return paper_id in page_marks(ctx, paper_id).saved


@pass_context
def is_read(ctx: Any, paper_id: str) -> bool:
    return paper_id in page_marks(ctx, paper_id).read


@pass_context
def is_upvoted(ctx: Any, paper_id: str) -> bool:
    return paper_id in page_marks(ctx, paper_id).upvoted


@pass_context
def hide_read(ctx: Any) -> bool:
    """Whether the user hides read papers in lists (``?hide_read=0|1`` overrides)."""
    override = _request(ctx).query_params.get("hide_read")
    if override in ("0", "1"):
        return override == "1"
    return page_marks(ctx).hide_read


@pass_context
def is_following(ctx: Any, kind: str, value: str) -> bool:
    """Whether the user follows this author / org / category / search (one query per page)."""
    user = _user(ctx)
    if user is None:
        return False
    request = _request(ctx)
    keys: set[tuple[str, str]] | None = getattr(request.state, "follow_keys", None)
    if keys is None:
        keys = request.state.follow_keys = _follow_keys(request_session(request), user.id)
    try:
        k, _, key = clean(kind, value)
    except Exception:  # an unfollowable value simply is not followed
        return False
    return (k, key) in keys


def note_html(text: str, note_format: str = "markdown") -> Markup:
    """A note as safe HTML (markdown-it without raw HTML, then the nh3 sanitizer)."""
    return Markup(render_note(text, note_format))  # noqa: S704 - sanitised by render_note


def register(env: Environment) -> None:
    """Install the helpers in the shared Jinja environment (idempotent)."""
    env.globals.update(
        is_saved=is_saved,
        is_read=is_read,
        is_upvoted=is_upvoted,
        hide_read=hide_read,
        is_following=is_following,
        cite_text=plain_citation,
        follow_query=search_query,
    )
    env.filters["note_html"] = note_html
