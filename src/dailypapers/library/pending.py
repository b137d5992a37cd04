"""Fetching pending imports: arXiv ids of an imported file that were not in the database.

:func:`fetch_pending` asks the arXiv API (the ingest client, 100 ids a call), stores the papers,
saves them into the importing user's library (collection, tags and note as the file had them)
and removes the pending rows. An id arXiv does not know stays pending with that reason; when
arXiv cannot be reached the rows stay pending with the error, and the next import or
``dailypapers library fetch-pending`` tries again. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.ingest.arxiv_api import fetch_by_ids
from dailypapers.ingest.http import UpstreamError
from dailypapers.library import saves
from dailypapers.store.models import Paper, utcnow
from dailypapers.store.models_library import Collection, PendingImport
from dailypapers.store.papers import upsert_records

log = logging.getLogger(__name__)
BATCH = 100


@dataclass(slots=True)
class FetchResult:
    saved: int = 0
    unknown: int = 0
    failed: int = 0
    error: str | None = None


def fetch_pending(session: Session, settings: Settings, user_id: int | None = None) -> FetchResult:
    """Fetch and save the pending imports of one user (all users when None).

    Upstream failures do not raise: they stop the run and are written on the pending rows, so
    the caller's single commit keeps both the papers saved so far and the reasons."""
    stmt = select(PendingImport).order_by(PendingImport.created_at)
    if user_id is not None:
        stmt = stmt.where(PendingImport.user_id == user_id)
    rows = list(session.scalars(stmt))
    result = FetchResult()
    ids = sorted({r.arxiv_id for r in rows})
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        try:
            records = fetch_by_ids(settings, batch)
        except (UpstreamError, OSError) as exc:
            result.error = f"arXiv could not be reached ({exc}); it will be tried again"
            _note_failure(session, batch, result.error)
            result.failed += len(batch)
            break
        upsert_records(session, records)
        _save_fetched(session, [r for r in rows if r.arxiv_id in batch], result)
    return result


def _note_failure(session: Session, ids: list[str], reason: str) -> None:
    session.execute(
        update(PendingImport)
        .where(PendingImport.arxiv_id.in_(ids))
        .values(reason=reason[:500], attempts=PendingImport.attempts + 1, updated_at=utcnow())
    )


def _save_fetched(session: Session, rows: list[PendingImport], result: FetchResult) -> None:
    ids = [r.arxiv_id for r in rows]
    found = {
        str(a): str(p)
        for a, p in session.execute(select(Paper.arxiv_id, Paper.id).where(Paper.arxiv_id.in_(ids)))
    }
    for row in rows:
        paper_id = found.get(row.arxiv_id)
        if paper_id is None:
            row.reason = f"arXiv has no paper {row.arxiv_id}; check the id in your file"
            row.attempts += 1
            result.unknown += 1
            continue
        collection = session.get(Collection, row.collection_id) if row.collection_id else None
        saves.save_paper(
            session, row.user_id, paper_id, collection=collection.slug if collection else None,
            tags=row.tags or None, note=row.note or None, source="import",
        )  # fmt: skip
        session.execute(
            delete(PendingImport).where(
                PendingImport.user_id == row.user_id, PendingImport.arxiv_id == row.arxiv_id
            )
        )
        result.saved += 1
