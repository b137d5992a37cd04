"""Small helpers shared by the library services: dialect-aware inserts, paper ids, slugs."""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.errors import NotFound
from dailypapers.store.models import Paper
from dailypapers.store.queries.papers import normalise_paper_id
from dailypapers.store.records import normalise_name


def insert_ignore(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``; True when this call created the row.

    The primary key is the guard, so two concurrent saves of one paper store it once.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing()
    key = next(iter(table.primary_key.columns))
    return session.execute(stmt.returning(key)).first() is not None


def existing_paper_id(session: Session, raw: str) -> str:
    """The stored id of the paper ``raw`` names (arXiv id, URL or ``t-`` id), or ``NotFound``."""
    pid = normalise_paper_id(raw) if isinstance(raw, str) and len(raw) < 300 else None
    found = session.scalar(select(Paper.id).where(Paper.id == pid)) if pid else None
    if found is None:
        raise NotFound(f"No paper with id {raw!r} here.")
    return found


def slugify(name: str) -> str:
    """``My Reading: GNNs`` → ``my-reading-gnns`` (accents folded; empty for no letters)."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_name(name)).strip("-")[:90]


def rowcount(session: Session, stmt: Executable) -> int:
    """How many rows an UPDATE or DELETE touched."""
    return int(cast("CursorResult[Any]", session.execute(stmt)).rowcount)
