"""Counts for ``dailypapers stats``, the subscriber list and health checks."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dailypapers.store.models import DigestSend, FeedEntry, Paper, PaperVector, Subscription, User
from dailypapers.store.models_channels import ChannelSend


def database_counts(session: Session) -> list[tuple[str, str]]:
    """(what, how many) rows: papers, feed entries and days, users, subscriptions, vectors."""
    first, last, days = session.execute(
        select(
            func.min(FeedEntry.feed_date),
            func.max(FeedEntry.feed_date),
            func.count(func.distinct(FeedEntry.feed_date)),
        )
    ).one()

    def count(model: type) -> str:
        return str(session.scalar(select(func.count()).select_from(model)))

    return [
        ("papers", count(Paper)),
        ("feed entries", count(FeedEntry)),
        ("feed days", f"{days} ({first} to {last})" if days else "0"),
        ("users", count(User)),
        ("subscriptions", count(Subscription)),
        ("paper vectors", count(PaperVector)),
    ]


def subscription_counts(session: Session) -> dict[str, int]:
    """Subscribers by status."""
    rows = session.execute(select(Subscription.status, func.count()).group_by(Subscription.status))
    return {status: int(n) for status, n in rows}


def list_subscriptions(
    session: Session, status: str | None = None, limit: int = 50
) -> list[Subscription]:
    """Subscriptions in id order, optionally of one status."""
    query = select(Subscription).order_by(Subscription.id).limit(limit)
    if status:
        query = query.where(Subscription.status == status)
    return list(session.scalars(query))


def list_users(session: Session) -> list[User]:
    """Every account in id order."""
    return list(session.scalars(select(User).order_by(User.id)))


def paper_titles(session: Session, ids: list[str]) -> dict[str, str]:
    """Titles of the given paper ids (one query)."""
    rows = session.execute(select(Paper.id, Paper.title).where(Paper.id.in_(ids)))
    return {pid: title for pid, title in rows}


def all_paper_ids(session: Session) -> list[str]:
    """Every paper id, sorted."""
    return list(session.scalars(select(Paper.id).order_by(Paper.id)))


def database_answers(session: Session) -> None:
    """Raise unless the database answers a trivial query."""
    session.execute(text("SELECT 1"))


def digest_send_counts(session: Session) -> dict[str, int]:
    """Digest mails by send-log status (sent, failed, empty, pending), all time."""
    rows = session.execute(select(DigestSend.status, func.count()).group_by(DigestSend.status))
    return {status: int(n) for status, n in rows}


def channel_send_counts(session: Session) -> dict[tuple[str, str], int]:
    """Channel messages by (kind, status): ``digest``/``alert``/``test`` by pending/sent/failed."""
    kind = func.substr(ChannelSend.key, 1, func.instr(ChannelSend.key, ":") - 1)
    if session.get_bind().dialect.name == "postgresql":
        kind = func.split_part(ChannelSend.key, ":", 1)
    rows = session.execute(
        select(kind, ChannelSend.status, func.count()).group_by(kind, ChannelSend.status)
    )
    return {(str(k), str(status)): int(n) for k, status, n in rows}
