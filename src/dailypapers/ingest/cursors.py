"""Ingest cursors: where each live source stopped, what its last run did, and its last error.

One ``ingest_cursors`` row per source and key (an arXiv category, or ``daily`` for Hugging
Face). A page of records and the cursor that follows it are written in ONE transaction, so
a run killed at any instant resumes exactly after the last page it stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.models import IngestCursor, utcnow
from dailypapers.store.papers import UpsertStats, upsert_records
from dailypapers.store.records import PaperRecord
from dailypapers.store.trending import refresh_scores


@dataclass(slots=True)
class CursorStatus:
    """One row of ``ingest status`` and the admin page."""

    source: str
    key: str
    cursor: dict[str, Any]
    last_run_at: dt.datetime | None
    last_success_at: dt.datetime | None
    added: int
    updated: int
    last_error: str | None


def _row(session: Session, source: str, key: str) -> IngestCursor:
    row = session.get(IngestCursor, (source, key))
    if row is None:
        row = IngestCursor(source=source, key=key, cursor={}, added=0, updated=0)
        session.add(row)
    return row


def read(settings: Settings, source: str, key: str) -> dict[str, Any]:
    """The stored cursor state of ``source``/``key`` (empty on a first run)."""
    with db.session_scope(settings) as session:
        row = session.get(IngestCursor, (source, key))
        return dict(row.cursor or {}) if row is not None else {}


def begin_run(settings: Settings, source: str, key: str, *, resuming: bool) -> None:
    """Stamp the start of a run; a fresh run (not a resumed one) resets the last-run counts."""
    with db.session_scope(settings) as session:
        row = _row(session, source, key)
        row.last_run_at = utcnow()
        if not resuming:
            row.added = row.updated = 0


def commit_page(
    settings: Settings,
    source: str,
    key: str,
    records: list[PaperRecord],
    state: dict[str, Any],
    *,
    finished: bool = False,
    prepare: Callable[[Session, list[PaperRecord]], list[PaperRecord]] | None = None,
    dry_run: bool = False,
) -> UpsertStats:
    """Upsert one page of records and save the cursor ``state`` after it, atomically.

    ``prepare`` may adjust the records against what is stored, in the same transaction.
    ``dry_run`` computes the same counts, then rolls everything back.
    """
    with db.session_scope(settings) as session:
        if prepare is not None:
            records = prepare(session, records)
        stats = upsert_records(session, records)
        refresh_scores(session, settings, stats.changed_ids)  # keep Trending current
        if dry_run:
            session.rollback()
            return stats
        row = _row(session, source, key)
        row.cursor = state
        row.added = (row.added or 0) + stats.added
        row.updated = (row.updated or 0) + stats.updated
        if finished:
            row.last_success_at = utcnow()
            row.last_error = None
    return stats


def record_error(settings: Settings, source: str, key: str, message: str) -> None:
    """Remember why the last run of ``source``/``key`` failed (the cursor stays put)."""
    with db.session_scope(settings) as session:
        row = _row(session, source, key)
        row.last_error = message[:2000]
        row.last_run_at = row.last_run_at or utcnow()


def status(settings: Settings) -> list[CursorStatus]:
    """Every cursor, by source then key."""
    with db.session_scope(settings) as session:
        rows = session.scalars(select(IngestCursor).order_by(IngestCursor.source, IngestCursor.key))
        return [
            CursorStatus(
                source=r.source,
                key=r.key,
                cursor=dict(r.cursor or {}),
                last_run_at=r.last_run_at,
                last_success_at=r.last_success_at,
                added=r.added or 0,
                updated=r.updated or 0,
                last_error=r.last_error,
            )
            for r in rows
        ]


def describe(source: str, cursor: dict[str, Any]) -> str:
    """A short human reading of a cursor for status tables."""
    if source == "hf":
        text = f"through {cursor['last_date']}" if cursor.get("last_date") else "not started"
    elif source == "oai":
        text = f"harvested to {cursor['through']}" if cursor.get("through") else "not started"
    else:
        mark = cursor.get("watermark")
        text = f"updated ≥ {mark.replace('T', ' ')}" if mark else "not started"
    run = cursor.get("run")
    if run and source == "hf":
        text += f"; resumes at {run.get('date')} page {run.get('page', 0)}"
    elif run and source == "oai":
        text += f"; harvest from {run.get('from')} in progress"
    elif run:
        text += f"; run in progress, resumes at offset {run.get('start', 0)}"
    return text


def ingest_status_rows(settings: Settings) -> list[dict[str, Any]]:
    """Each source's last run, cursor, counts and last error, as plain values."""
    return [
        {
            "source": s.source,
            "key": s.key,
            "last_run_at": s.last_run_at.isoformat(timespec="seconds") if s.last_run_at else None,
            "last_success_at": (
                s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else None
            ),
            "cursor": s.cursor,
            "cursor_text": describe(s.source, s.cursor),
            "added": s.added,
            "updated": s.updated,
            "last_error": s.last_error,
        }
        for s in status(settings)
    ]
