"""Hashed term counts stored with the papers (``paper_terms``), like their vectors.

A paper's counts depend only on its title and abstract (``lexical.counts``), so they are
computed once, where vectors are (import and ingestion with embedding on, ``index rebuild``,
the worker's periodic ``index.backfill``), instead of by every process that ranks. Each row
keeps the key of the text it was made from: a row whose key no longer matches the paper's
text is ignored by the ranker (which then hashes the text itself) and made again by the next
``store_term_counts``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from dailypapers.config import Settings
from dailypapers.foryou import lexical
from dailypapers.search import paper_text, text_hash
from dailypapers.store import db
from dailypapers.store.base import utcnow
from dailypapers.store.models import PaperTerms, table_of
from dailypapers.store.queries import foryou as q

CHUNK = 2000  # papers hashed and written per transaction
Row = tuple[np.ndarray, np.ndarray]  # a paper's term numbers (int32) and counts (float32)
_MAX_COUNT = np.iinfo(np.uint16).max  # counts are stored as uint16; a larger one is not stored


def text_key(title: str, abstract: str) -> str:
    """A short hash of the text the counts are made from (the text vectors are embedded
    from, ``search.contract.paper_text``): stored counts are valid while it is unchanged."""
    return text_hash(paper_text(title, abstract))[:16]


def encode(row: Row) -> tuple[bytes, bytes] | None:
    """The stored form of a paper's counts (None if a count does not fit in 16 bits)."""
    terms, counts = row
    if len(counts) and float(counts.max()) > _MAX_COUNT:
        return None
    return (np.asarray(terms, "<i4").tobytes(), np.asarray(counts, "<u2").tobytes())


def decode(stored: q.StoredTerms) -> Row:
    """The counts as ``lexical.counts`` gives them (the same arrays, value for value)."""
    terms = np.frombuffer(stored.terms, "<i4").astype(np.int32)
    counts = np.frombuffer(stored.counts, "<u2").astype(np.float32)
    return terms, counts


def store_term_counts(
    settings: Settings,
    ids: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Compute and store the counts of the papers (of ``ids``, or all) whose stored counts are
    missing or were made from another text; returns how many were written.

    Commits every ``CHUNK`` papers, so an interrupted run keeps its work and the next one
    resumes; a second run writes nothing.
    """
    written = 0
    if ids is None:
        after = ""
        while True:
            with db.session_scope(settings) as session:
                todo = q.texts_for_terms(session, None, after, CHUNK)
            if not todo:
                return written
            after = todo[-1].id
            written += _store(settings, todo, progress)
    wanted = sorted(set(ids))
    for at in range(0, len(wanted), q.CHUNK):
        with db.session_scope(settings) as session:
            todo = q.texts_for_terms(session, wanted[at : at + q.CHUNK], "", q.CHUNK)
        written += _store(settings, todo, progress)
    return written


def _store(settings: Settings, todo: list[q.PaperText],
           progress: Callable[[int], None] | None) -> int:  # fmt: skip
    """Write the counts of the papers among ``todo`` whose text key differs from the stored
    one (or that have none); a row made from the current text only gets a new date."""
    keys = [text_key(p.title, p.abstract) for p in todo]
    changed = [(p, k) for p, k in zip(todo, keys, strict=True) if k != p.stored_key]
    current = [p.id for p, k in zip(todo, keys, strict=True) if k == p.stored_key]
    now = utcnow()
    rows = []
    texts = [paper_text(p.title, p.abstract) for p, _ in changed]
    matrix = lexical.counts(texts) if texts else sp.csr_matrix((0, lexical.N_FEATURES))
    for j, (paper, key) in enumerate(changed):
        start, end = matrix.indptr[j], matrix.indptr[j + 1]
        encoded = encode((matrix.indices[start:end], matrix.data[start:end]))
        if encoded is not None:
            rows.append({"paper_id": paper.id, "text_key": key, "terms": encoded[0],
                         "counts": encoded[1], "updated_at": now})  # fmt: skip
    table = table_of(PaperTerms)
    with db.session_scope(settings) as session:
        written = {r["paper_id"] for r in rows}
        unstorable = [p.id for p, _ in changed if p.id not in written]  # a count over 16 bits
        for at in range(0, len(unstorable), q.CHUNK):
            part = unstorable[at : at + q.CHUNK]
            session.execute(delete(table).where(table.c.paper_id.in_(part)))
        if rows:  # an upsert: an ingestion and the backfill may store the same paper at once
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            stmt = dialect.insert(table)
            fresh = {c: stmt.excluded[c] for c in ("text_key", "terms", "counts", "updated_at")}
            session.execute(stmt.on_conflict_do_update(index_elements=["paper_id"], set_=fresh),
                            rows)  # fmt: skip
        for at in range(0, len(current), q.CHUNK):
            part = current[at : at + q.CHUNK]
            session.execute(update(table).where(table.c.paper_id.in_(part)).values(updated_at=now))
    if progress:
        progress(len(todo))
    return len(rows)
