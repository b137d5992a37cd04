"""The data version: one fingerprint that changes whenever anything lists show changes.

Caches of every worker compare it (see ``web/cache.py``); writers that change lists without
touching ``papers.updated_at`` bump it.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, cast, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dailypapers.store.models import FeedEntry, Meta, Paper, table_of

DATA_VERSION_KEY = "data_version"
_PG_SEQUENCE = "dailypapers_data_version"  # created by migration 0006
_P = table_of(Paper).c


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def data_version(session: Session) -> str:
    """A fingerprint that changes whenever anything the feed shows changes (one cheap query).

    Parts: the explicit counter (``bump_data_version``), the newest ``papers.updated_at`` and
    the number of feed entries. Every writer of list-visible counts bumps the counter (votes,
    comments and trending scores go through ``store.trending``). On SQLite, sums of upvotes
    and trending scores read from their indexes (a few ms at 75k papers) also catch a writer
    that forgot to. PostgreSQL has no such cheap sums (they would scan the whole papers heap),
    and its row-change statistics are no stand-in: a backend may flush them up to ten seconds
    after its commit, so the fingerprint would move long after the write it reflects.
    """
    parts = [
        select(func.max(_P.updated_at)).scalar_subquery(),
        select(func.count()).select_from(table_of(FeedEntry)).scalar_subquery(),
    ]
    if _on_postgres(session):
        parts += [
            select(text("last_value + is_called::int"))  # a fresh sequence: 1, false
            .select_from(text(_PG_SEQUENCE))
            .scalar_subquery(),
        ]
    else:
        # Summed as whole thousandths: exact, so the text is the same in any scan order.
        parts += [
            select(Meta.value).where(Meta.key == DATA_VERSION_KEY).scalar_subquery(),
            select(func.sum(_P.upvotes)).scalar_subquery(),
            select(func.sum(func.round(_P.trending_score * 1000))).scalar_subquery(),
        ]
    return "|".join(str(v) for v in session.execute(select(*parts)).one())


_local_bumps = 0  # bumps made by this process: its own caches need not wait for the interval


def local_bumps() -> int:
    """How many times this process called ``bump_data_version`` (caches compare it)."""
    return _local_bumps


def bump_data_version(session: Session) -> None:
    """Mark the feed's data as changed so that every worker's caches refresh.

    Call it in a writing transaction that changes what lists show without touching
    ``papers.updated_at`` or adding feed entries (votes, comment counts, trending scores).
    On PostgreSQL it advances a sequence: no row lock, so concurrent writers never queue on it.
    Caches of this process re-check at their next request (a vote then shows at once on the
    page its voter is sent back to); other processes notice within their check interval.
    """
    global _local_bumps
    _local_bumps += 1
    if _on_postgres(session):
        session.execute(text(f"SELECT nextval('{_PG_SEQUENCE}')"))
        return
    counter = table_of(Meta)
    stmt = sqlite_insert(counter).values(key=DATA_VERSION_KEY, value="1")
    bumped = cast(cast(counter.c.value, Integer) + 1, String)
    session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": bumped}))
