"""Self-healing vectors: find the papers whose vectors are missing or stale, and embed them.

A paper can be left without a vector under the current embedding contract in several ways:
an import killed between writing a batch and embedding it (the rerun then finds the papers
unchanged), papers imported beside a ``--vectors`` file that does not cover them, a rebuild
killed between the whole-abstract vectors and the part vectors, or a text changed while
embedding was off. ``pending_ids`` finds all of them with two anti-joins (nothing stored under
the contract) and one join (a vector older than its paper whose text hash no longer matches);
``backfill`` embeds them, and is what the rerun of an import, ``index rebuild`` and the
worker's periodic ``index.backfill`` job call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from dailypapers.config import Settings
from dailypapers.search.contract import contract_for, paper_text, text_hash
from dailypapers.search.indexer import embed_papers
from dailypapers.search.parts import parts_contract_key, parts_text
from dailypapers.store import db
from dailypapers.store.models import Paper, PaperVector

__all__ = ["Missing", "backfill", "missing", "pending_ids"]

CHUNK = 2000


@dataclass(frozen=True)
class Missing:
    """Papers whose vectors need (re)computing under the current contract."""

    papers: int
    vectors: int  # no whole-abstract vector
    stale_vectors: int  # a vector made from an older title or abstract
    parts: int  # no part vectors (0 when ``similar_parts`` is off)
    stale_parts: int

    @property
    def total(self) -> int:
        return self.vectors + self.stale_vectors + self.parts + self.stale_parts


def _keys(settings: Settings, parts: bool = True) -> list[tuple[str, Callable[[str, str], str]]]:
    """(contract key, text recipe) of every kind of vector this configuration stores."""
    doc = contract_for(settings.embedding_model).key
    kinds: list[tuple[str, Callable[[str, str], str]]] = [(doc, paper_text)]
    if settings.similar_parts and parts:
        kinds.append((parts_contract_key(doc), parts_text))
    return kinds


def _without(key: str):  # type: ignore[no-untyped-def]  # a SQLAlchemy boolean clause
    stored = select(PaperVector.paper_id).where(
        PaperVector.contract == key, PaperVector.paper_id == Paper.id
    )
    return ~exists(stored)


def _ids_without(session: Session, key: str, limit: int | None) -> list[str]:
    stmt = select(Paper.id).where(_without(key)).order_by(Paper.id).limit(limit)
    return list(session.scalars(stmt))


def _stale(
    session: Session, key: str, recipe: Callable[[str, str], str], limit: int | None
) -> Iterator[str]:
    """Papers changed after their vector was stored whose text no longer matches its hash."""
    vec = aliased(PaperVector)
    stmt = (
        select(Paper.id, Paper.title, Paper.abstract, vec.text_hash)
        .join(vec, and_(vec.paper_id == Paper.id, vec.contract == key))
        .where(vec.updated_at < Paper.updated_at)
        .order_by(Paper.id)
    )
    found = 0
    for pid, title, abstract, stored in session.execute(stmt).yield_per(CHUNK):
        if text_hash(recipe(title or "", abstract or "")) != stored:
            yield pid
            found += 1
            if limit is not None and found >= limit:
                return


def missing(settings: Settings) -> Missing:
    """Count every kind of missing or stale vector (what ``index status`` shows)."""
    kinds = _keys(settings)
    with db.session_scope(settings) as session:
        papers = session.scalar(select(func.count()).select_from(Paper)) or 0
        counts = [
            (
                session.scalar(select(func.count()).select_from(Paper).where(_without(key))) or 0,
                sum(1 for _ in _stale(session, key, recipe, None)),
            )
            for key, recipe in kinds
        ]
    parts = counts[1] if len(counts) > 1 else (0, 0)
    return Missing(papers, counts[0][0], counts[0][1], parts[0], parts[1])


def pending_ids(settings: Settings, limit: int | None = None, parts: bool = True) -> list[str]:
    """Ids of papers with a missing or stale vector of any kind (``parts=False``: without a
    current whole-abstract vector), at most ``limit``."""
    found: dict[str, None] = {}
    with db.session_scope(settings) as session:
        for key, recipe in _keys(settings, parts):
            # ids found for one kind may come again for the next: ask for ``limit`` each time
            if limit is None or len(found) < limit:
                found.update(dict.fromkeys(_ids_without(session, key, limit)))
            if limit is None or len(found) < limit:
                found.update(dict.fromkeys(_stale(session, key, recipe, limit)))
    ids = list(found)
    return ids if limit is None else ids[:limit]


def backfill(
    settings: Settings,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    parts: bool = True,
) -> int:
    """Embed the papers that lack a current vector of any kind (at most ``limit`` of them;
    ``parts=False``: only those without a current whole-abstract vector).

    Stores chunk by chunk (an interrupted backfill keeps its work); returns how many papers
    were (re)embedded.
    """
    todo = pending_ids(settings, limit, parts)
    if todo:
        embed_papers(settings, todo, progress)
    return len(todo)
