"""Comments: plain text with links, edited or deleted by their author, moderated by admins.

``papers.num_comments`` counts the live comments (plus comments counted by an import source):
every write moves it atomically in the same transaction, guarded by the row it changed, so
concurrent deletes never count twice. Deleted comments are kept (``deleted_at``) for moderation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.community.errors import CommunityError
from dailypapers.config import Settings
from dailypapers.store.db import rowcount
from dailypapers.store.models import Comment, Paper, User, utcnow
from dailypapers.store.trending import move_counts

MAX_LENGTH = 5000
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True)
class CommentView:
    """A comment as pages and the API show it."""

    id: int
    paper_id: str
    user_id: int
    username: str
    text: str
    created_at: str
    edited_at: str | None

    def as_json(self) -> dict:
        return {
            "id": self.id, "paperId": self.paper_id, "author": self.username,
            "text": self.text, "createdAt": self.created_at, "editedAt": self.edited_at,
        }  # fmt: skip


def autolink(text: str) -> Markup:
    """Escape ``text`` and turn http(s) URLs into ``rel="nofollow ugc noopener"`` links."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        out.append(str(escape(text[pos : match.start()])))
        out.append(
            f'<a href="{escape(url)}" rel="nofollow ugc noopener" target="_blank">{escape(url)}</a>'
        )
        pos = match.start() + len(url)
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every piece was escaped above


def _clean(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise CommunityError("A comment needs some text.", 422)
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_LENGTH:
        raise CommunityError(f"Comments may have at most {MAX_LENGTH} characters.", 422)
    return text


def _view(comment: Comment, username: str) -> CommentView:
    return CommentView(
        comment.id, comment.paper_id, comment.user_id, username, comment.text,
        comment.created_at.isoformat() + "Z",
        comment.edited_at.isoformat() + "Z" if comment.edited_at else None,
    )  # fmt: skip


def _move_count(session: Session, settings: Settings, paper_id: str, delta: int) -> None:
    move_counts(session, settings, paper_id, comments=delta)


def add_comment(
    session: Session, settings: Settings, user: CurrentUser, paper_id: str, text: object
) -> CommentView:
    """Post a comment on a paper."""
    text = _clean(text)
    if session.scalar(select(Paper.id).where(Paper.id == paper_id)) is None:
        raise CommunityError(f"No paper with id {paper_id!r}.", 404)
    comment = Comment(paper_id=paper_id, user_id=user.id, text=text, created_at=utcnow())
    session.add(comment)
    session.flush()
    _move_count(session, settings, paper_id, +1)
    return _view(comment, user.username)


def _owned(session: Session, user: CurrentUser, comment_id: int, *, moderate: bool) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        raise CommunityError(f"No comment with id {comment_id}.", 404)
    if comment.user_id != user.id and not (moderate and user.is_admin):
        raise CommunityError("You can only change your own comments.", 403)
    return comment


def edit_comment(session: Session, user: CurrentUser, comment_id: int, text: object) -> CommentView:
    """Replace the text of the user's own comment."""
    text = _clean(text)
    comment = _owned(session, user, comment_id, moderate=False)
    comment.text, comment.edited_at = text, utcnow()
    session.flush()
    return _view(comment, user.username)


def delete_comment(session: Session, settings: Settings, user: CurrentUser, comment_id: int) -> str:
    """Delete the user's own comment (or any comment, for an admin); returns its paper id.

    The text is erased with it: a deleted comment keeps only its place in the thread.
    """
    comment = _owned(session, user, comment_id, moderate=True)
    gone = rowcount(
        session.execute(
            update(Comment)
            .where(Comment.id == comment.id, Comment.deleted_at.is_(None))
            .values(deleted_at=utcnow(), text="")
        )
    )
    if gone == 1:
        _move_count(session, settings, comment.paper_id, -1)
    return comment.paper_id


def list_comments(session: Session, paper_id: str, limit: int = 500) -> list[CommentView]:
    """The live comments of a paper, oldest first."""
    rows = session.execute(
        select(Comment, User.username)
        .join(User, User.id == Comment.user_id)
        .where(Comment.paper_id == paper_id, Comment.deleted_at.is_(None))
        .order_by(Comment.created_at, Comment.id)
        .limit(limit)
    )
    return [_view(comment, name) for comment, name in rows]


def recent_comments(session: Session, limit: int = 100) -> list[CommentView]:
    """The newest live comments on any paper, for the moderation page."""
    rows = session.execute(
        select(Comment, User.username)
        .join(User, User.id == Comment.user_id)
        .where(Comment.deleted_at.is_(None))
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    return [_view(comment, name) for comment, name in rows]
