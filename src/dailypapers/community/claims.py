"""Authorship claims: an author claims a paper, an admin approves, the author edits its links."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.community.errors import CommunityError
from dailypapers.store.models import AuthorshipClaim, Paper, User, utcnow
from dailypapers.store.urls import clean_url

# Claims wait for an administrator: a flood of them would bury the real ones.
CLAIMS_PER_HOUR = 20


@dataclass(frozen=True)
class ClaimView:
    id: int
    paper_id: str
    paper_title: str
    username: str
    status: str
    created_at: str


def _paper(session: Session, paper_id: str) -> Paper:
    paper = session.get(Paper, paper_id)
    if paper is None:
        raise CommunityError(f"No paper with id {paper_id!r}.", 404)
    return paper


def claim_status(session: Session, user_id: int, paper_id: str) -> str | None:
    """``pending``, ``approved``, ``rejected`` or None (no claim)."""
    return session.scalar(
        select(AuthorshipClaim.status).where(
            AuthorshipClaim.user_id == user_id, AuthorshipClaim.paper_id == paper_id
        )
    )


def claim_paper(session: Session, user: CurrentUser, paper_id: str) -> str:
    """File a claim (idempotent); returns its status."""
    _paper(session, paper_id)
    status = claim_status(session, user.id, paper_id)
    if status is not None:
        return status
    try:
        with session.begin_nested():
            session.add(AuthorshipClaim(paper_id=paper_id, user_id=user.id, status="pending"))
    except IntegrityError:  # the same claim posted twice at once
        pass
    return claim_status(session, user.id, paper_id) or "pending"


def decide_claim(session: Session, claim_id: int, approve: bool) -> None:
    """An admin's decision on a claim."""
    claim = session.get(AuthorshipClaim, claim_id)
    if claim is None:
        raise CommunityError(f"No claim with id {claim_id}.", 404)
    claim.status = "approved" if approve else "rejected"
    claim.decided_at = utcnow()


def pending_claims(session: Session, limit: int = 200) -> list[ClaimView]:
    """Claims waiting for a decision, oldest first."""
    rows = session.execute(
        select(AuthorshipClaim, Paper.title, User.username)
        .join(Paper, Paper.id == AuthorshipClaim.paper_id)
        .join(User, User.id == AuthorshipClaim.user_id)
        .where(AuthorshipClaim.status == "pending")
        .order_by(AuthorshipClaim.id)
        .limit(limit)
    )
    return [
        ClaimView(c.id, c.paper_id, title, name, c.status, c.created_at.isoformat() + "Z")
        for c, title, name in rows
    ]


def can_edit_links(session: Session, user: CurrentUser | None, paper_id: str) -> bool:
    """Admins and approved authors may edit a paper's code and project links."""
    if user is None:
        return False
    return user.is_admin or claim_status(session, user.id, paper_id) == "approved"


def _clean_url(value: object, what: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise CommunityError(f"The {what} must be a URL of at most 500 characters.", 422)
    cleaned = clean_url(value)
    if cleaned is None:
        raise CommunityError(f"The {what} must be an http(s) URL.", 422)
    return cleaned


def set_links(
    session: Session, user: CurrentUser, paper_id: str, github_repo: object, project_page: object
) -> Paper:
    """Set (or clear, with an empty value) a paper's code and project links."""
    paper = _paper(session, paper_id)
    if not can_edit_links(session, user, paper_id):
        raise CommunityError("Only the paper's confirmed authors can edit its links.", 403)
    paper.github_repo = _clean_url(github_repo, "code repository")
    paper.project_page = _clean_url(project_page, "project page")
    paper.updated_at = utcnow()
    session.flush()
    return paper
