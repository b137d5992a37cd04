"""Writes to the search index: embed and index changed papers, import precomputed vectors.

Vectors are stored in ``paper_vectors`` (float16, keyed by paper and embedding contract), so
a rebuild of the local index files never embeds again; a paper is re-embedded only when the
text it was embedded from (``contract.paper_text``) changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.search.contract import contract_for, paper_text, text_hash
from dailypapers.search.embed import get_embedder
from dailypapers.search.engine import LocalIndex, get_index, loaded_index
from dailypapers.search.parts_store import index_parts
from dailypapers.store import db
from dailypapers.store.models import Paper, PaperVector, utcnow

EMBED_BATCH = 64
CHUNK = 512
# Imported vectors must agree with our own embedding of the same text at least this well.
MIN_AGREEMENT = 0.98


class VectorMismatch(ValueError):
    """Imported vectors were not made under this index's embedding contract."""


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _texts(session: Session, ids: Sequence[str]) -> dict[str, str]:
    rows = session.execute(select(Paper.id, Paper.title, Paper.abstract).where(Paper.id.in_(ids)))
    return {pid: paper_text(title, abstract) for pid, title, abstract in rows}


def stale_ids(settings: Settings, ids: Sequence[str]) -> dict[str, str]:
    """Of ``ids``, the papers whose vector is missing or older than their text: id → text."""
    key = contract_for(settings.embedding_model).key
    out: dict[str, str] = {}
    with db.session_scope(settings) as session:
        for chunk in _chunks(list(ids), CHUNK):
            texts = _texts(session, chunk)
            stored = dict(session.execute(
                select(PaperVector.paper_id, PaperVector.text_hash)
                .where(PaperVector.contract == key, PaperVector.paper_id.in_(list(texts)))
            ).all())  # fmt: skip
            out.update({p: t for p, t in texts.items() if stored.get(p) != text_hash(t)})
    return out


def store_vectors(settings: Settings, texts: dict[str, str], matrix: np.ndarray) -> int:
    """Write one vector per paper (rows in ``texts`` order) under the current contract."""
    key = contract_for(settings.embedding_model).key
    now = utcnow()
    rows = [
        {"paper_id": pid, "contract": key, "text_hash": text_hash(text),
         "vector": np.asarray(vec, dtype="<f2").tobytes(), "updated_at": now}
        for (pid, text), vec in zip(texts.items(), matrix, strict=True)
    ]  # fmt: skip
    if not rows:
        return 0
    with db.session_scope(settings) as session:
        session.execute(
            delete(PaperVector).where(
                PaperVector.contract == key, PaperVector.paper_id.in_(list(texts))
            )
        )
        session.execute(insert(PaperVector), rows)
    return len(rows)


def embed_papers(
    settings: Settings,
    ids: Sequence[str],
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> int:
    """Embed the papers of ``ids`` whose vector is missing or stale; returns how many.

    Commits every chunk, so an interrupted run keeps its work and the next one resumes.
    """
    done = 0
    for part in _chunks(list(ids), chunk):
        todo = stale_ids(settings, part)
        if todo:
            matrix = get_embedder(settings.embedding_model).embed(list(todo.values()), EMBED_BATCH)
            done += store_vectors(settings, todo, matrix)
        if settings.similar_parts:  # title + sentence vectors for similar-papers ranking
            # the whole chunk, not only ``todo``: a run killed between the two kinds of
            # vectors left papers with a current vector but no part vectors
            index_parts(settings, list(part))
        if progress:
            progress(len(part))
    return done


def index_papers(settings: Settings, ids: list[str]) -> None:
    """Embed and index the given new or changed papers (called after every import/ingest)."""
    embed_papers(settings, ids)
    get_index(settings).sync()


def import_vectors(settings: Settings, ids: list[str], matrix: np.ndarray, verify: int = 3) -> int:
    """Store precomputed vectors (float16/float32, one row per id) for papers in the database.

    The vectors must follow this index's contract (model, dimension, normalisation, text
    recipe): the width is checked, and ``verify`` papers are embedded here and compared, so
    that vectors from another model are refused (``VectorMismatch``) instead of mixed.
    Unknown ids are skipped. Returns the number of vectors stored.
    """
    matrix = np.asarray(matrix)
    contract = contract_for(settings.embedding_model)
    if matrix.ndim != 2 or matrix.shape[0] != len(ids):
        raise VectorMismatch(f"expected {len(ids)} rows, got an array of shape {matrix.shape}")
    if matrix.shape[1] != contract.dim:
        raise VectorMismatch(
            f"vectors have {matrix.shape[1]} dimensions; {contract.describe()} needs {contract.dim}"
        )
    position = {pid: i for i, pid in enumerate(ids)}
    stored = 0
    checked = False
    with db.session_scope(settings) as session:
        all_texts = {}
        for chunk in _chunks(list(ids), CHUNK):
            all_texts.update(_texts(session, chunk))
    for chunk in _chunks(list(all_texts), 4096):
        texts = {pid: all_texts[pid] for pid in chunk}
        rows = matrix[[position[p] for p in chunk]].astype(np.float32)
        if not checked and verify:
            _verify(settings, texts, rows, verify)
            checked = True
        stored += store_vectors(settings, texts, rows)
    return stored


def _verify(settings: Settings, texts: dict[str, str], rows: np.ndarray, count: int) -> None:
    sample = list(texts.values())[:count]
    ours = get_embedder(settings.embedding_model).embed(sample)
    agreement = (ours * rows[: len(sample)]).sum(axis=1)
    if float(agreement.min()) < MIN_AGREEMENT:
        raise VectorMismatch(
            f"imported vectors disagree with {settings.embedding_model} on the same papers "
            f"(cosine {agreement.min():.3f} < {MIN_AGREEMENT}); were they made with another "
            "model or text recipe?"
        )


def all_paper_ids(settings: Settings) -> list[str]:
    with db.session_scope(settings) as session:
        return list(session.scalars(select(Paper.id).order_by(Paper.id)))


def rebuild(
    settings: Settings,
    embed: bool = True,
    on_embed: Callable[[int], None] | None = None,
    on_index: Callable[[int], None] | None = None,
) -> dict:
    """Rebuild the local index files from the database.

    First embeds papers whose vector is missing or stale under the current contract (stored
    chunk by chunk: an interrupted rebuild resumes where it stopped and never embeds twice),
    then rewrites the keyword index and the vector snapshot from stored vectors.
    """
    ids = all_paper_ids(settings)
    embedded = embed_papers(settings, ids, on_embed) if embed else 0
    # Not get_index(): its first-use sync would build everything once before the reset.
    index = loaded_index(settings) or LocalIndex(settings)
    index.reset()
    index.sync(progress=on_index, snapshot=True)
    return {"papers": len(ids), "embedded": embedded, **index.status()}
