"""Exports of a library, a collection, any list of papers (search results, one paper)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from dailypapers.library import collections
from dailypapers.library.formats.export import ExportItem, export
from dailypapers.store.queries.library import all_saved_ids, library_items
from dailypapers.store.queries.papers import papers_by_ids

_BATCH = 500


def export_library(
    session: Session, user_id: int, fmt: str, *, collection: str | None = None
) -> str:
    """The user's library (or one collection) with tags and notes, oldest save first."""
    col = collections.get_collection(session, user_id, collection) if collection else None
    ids = list(reversed(all_saved_ids(session, user_id, col.id if col else None)))
    items: list[ExportItem] = []
    for start in range(0, len(ids), _BATCH):
        for it in library_items(session, user_id, ids[start : start + _BATCH]):
            items.append(ExportItem(it.item.paper, it.tags, it.note))
    return export(items, fmt)


def export_papers(session: Session, paper_ids: Sequence[str], fmt: str) -> str:
    """Papers by id, in the order given, without anything personal (cite buttons, searches)."""
    return export(
        [ExportItem(it.paper) for it in papers_by_ids(session, paper_ids)], fmt, private=False
    )
