"""Reads behind author and organization pages: a person's or an organization's papers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from dailypapers.store.models import Paper, PaperAuthor
from dailypapers.store.queries.papers import FeedItem, org_slug, papers_by_ids
from dailypapers.store.records import normalise_name


@dataclass(frozen=True, slots=True)
class PaperListing:
    """One page of a person's or organization's papers, newest first."""

    heading: str  # the name as the papers write it
    items: list[FeedItem]
    total: int


def _page(
    session: Session, where: ColumnElement[bool], heading: str, page: int, size: int
) -> PaperListing:
    total = session.scalar(select(func.count(distinct(Paper.id))).where(where)) or 0
    ids = session.scalars(
        select(Paper.id).where(where)
        .order_by(Paper.published_on.desc(), Paper.id.desc())
        .limit(size).offset((page - 1) * size)
    ).all()  # fmt: skip
    return PaperListing(heading, papers_by_ids(session, ids), total)


def author_papers(session: Session, name: str, *, page: int, size: int) -> PaperListing | None:
    """Papers by the author ``name`` (matched without case or accents); None if unknown."""
    key = normalise_name(name)[:300]
    shown = session.scalar(select(PaperAuthor.name).where(PaperAuthor.name_norm == key).limit(1))
    if shown is None:
        return None
    where = Paper.id.in_(select(PaperAuthor.paper_id).where(PaperAuthor.name_norm == key))
    return _page(session, where, shown, page, size)


def organization_names(session: Session, org: str) -> list[str]:
    """The stored organization names that ``org`` (a name in any case, or a slug) stands for.

    A SQL ``LIKE`` on the slug's words narrows the candidates; only when it finds none (names
    with accents) are all distinct names compared.
    """
    wanted, slug = org.strip().lower(), org_slug(org)
    if not slug:
        return []
    pattern = slug.replace("-", "%")
    query = select(Paper.organization).distinct()
    candidates = session.scalars(query.where(func.lower(Paper.organization).like(pattern))).all()
    if not candidates:
        candidates = session.scalars(query).all()
    return [n for n in candidates if n and (n.lower() == wanted or org_slug(n) == slug)]


def organization_papers(session: Session, org: str, *, page: int, size: int) -> PaperListing | None:
    """Papers of the organization ``org`` (exact name in any case, or slug); None if unknown."""
    names = organization_names(session, org)
    if not names:
        return None
    return _page(session, Paper.organization.in_(names), names[0], page, size)
