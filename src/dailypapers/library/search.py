"""Search inside a library with the query language of ``/search`` (keyword engine, restricted
to the user's saved papers, so that every matching saved paper is found, however large the
library)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.errors import Invalid
from dailypapers.library import collections
from dailypapers.search import QueryError, get_index, parse_query
from dailypapers.store.queries.library import (
    LIBRARY_SORTS,
    LibraryFilter,
    ReadFilter,
    all_saved_ids,
)


def library_search_ids(settings: Settings, session: Session, user_id: int, q: str) -> list[str]:
    """Ids of the user's saved papers matching ``q``, best match first."""
    try:
        parsed = parse_query(q)
    except QueryError as exc:
        raise Invalid(str(exc)) from None
    saved = all_saved_ids(session, user_id)
    index = get_index(settings)
    rows = [index.row_of[pid] for pid in saved if pid in index.row_of]
    if not rows:
        return []
    hits, _ = index.keyword.search(parsed, len(rows), rows=rows)
    return [index.ids[row] for row in hits]


def build_filter(
    session: Session,
    settings: Settings,
    user_id: int,
    *,
    collection: str | None,
    tag: str | None,
    read: str | None,
    sort: str,
    q: str,
    page: int,
    limit: int,
) -> LibraryFilter:
    """The filter of a library page or ``GET /api/me/library``, validated."""
    if sort not in LIBRARY_SORTS:
        raise Invalid(f"sort is one of {', '.join(LIBRARY_SORTS)}")
    read_state: ReadFilter = "read" if read == "read" else "unread" if read == "unread" else None
    if read and read_state is None:
        raise Invalid("read is read or unread")
    col = collections.get_collection(session, user_id, collection) if collection else None
    only = library_search_ids(settings, session, user_id, q) if q.strip() else None
    return LibraryFilter(
        collection_id=col.id if col else None,
        tag=tag or None,
        read=read_state,
        only_ids=only,
        sort=sort,
        page=page,
        limit=limit,
    )
