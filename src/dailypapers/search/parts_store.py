"""Storage side of similar papers: write and read the part vectors stored at index time.

Part vectors (title + sentences, see ``search/parts.py``) live in ``paper_vectors`` under
``parts_contract_key(<doc contract>)``; ``text_hash`` is the hash of ``parts_text`` so that
a changed title or abstract re-embeds them and an unchanged one never does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.search.contract import contract_for, text_hash
from dailypapers.search.embed import Embedder, get_embedder
from dailypapers.search.parts import (
    PaperParts,
    compute_parts,
    decode_parts,
    encode_parts,
    parts_contract_key,
    parts_text,
)
from dailypapers.store import db
from dailypapers.store.models import Paper, PaperVector, utcnow

__all__ = ["KEYWORD_TERMS", "index_parts", "load_parts", "parts_key"]

CHUNK = 256
EMBED_BATCH = 64
KEYWORD_TERMS = 64  # salient words of the query paper sent to BM25 (64 beat 16 and 32)


def parts_key(settings: Settings) -> str:
    """The contract under which this configuration's part vectors are stored."""
    return parts_contract_key(contract_for(settings.embedding_model).key)


def _stale(session: Session, key: str, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    papers = session.execute(select(Paper.id, Paper.title, Paper.abstract).where(Paper.id.in_(ids)))
    texts = {pid: (title or "", abstract or "") for pid, title, abstract in papers}
    stored = dict(session.execute(
        select(PaperVector.paper_id, PaperVector.text_hash)
        .where(PaperVector.contract == key, PaperVector.paper_id.in_(list(texts)))
    ).all())  # fmt: skip
    return {p: t for p, t in texts.items() if stored.get(p) != text_hash(parts_text(*t))}


def _store(
    session: Session, key: str, texts: dict[str, tuple[str, str]], parts: list[PaperParts]
) -> None:
    now = utcnow()
    rows = [
        {"paper_id": pid, "contract": key, "text_hash": text_hash(parts_text(*text)),
         "vector": encode_parts(p), "updated_at": now}
        for (pid, text), p in zip(texts.items(), parts, strict=True)
    ]  # fmt: skip
    stale = PaperVector.paper_id.in_(list(texts))
    session.execute(delete(PaperVector).where(PaperVector.contract == key, stale))
    session.execute(insert(PaperVector), rows)


def _batched(embedder: Embedder) -> Callable[[list[str]], np.ndarray]:
    return lambda texts: embedder.embed(texts, EMBED_BATCH)


def index_parts(
    settings: Settings, ids: Sequence[str], progress: Callable[[int], None] | None = None
) -> int:
    """Compute and store the part vectors of those ``ids`` whose are missing or stale.

    Costs about one to two times the whole-abstract embedding of the same papers (the same
    words, cut into shorter texts). Commits per chunk, so an interrupted run resumes.
    Returns how many papers were (re)computed.
    """
    key = parts_key(settings)
    done = 0
    embed = None
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        with db.session_scope(settings) as session:
            todo = _stale(session, key, chunk)
        if todo:
            embed = embed or _batched(get_embedder(settings.embedding_model))
            parts = compute_parts(embed, list(todo.values()))
            with db.session_scope(settings) as session:
                _store(session, key, todo, parts)
            done += len(todo)
        if progress:
            progress(len(chunk))
    return done


def load_parts(session: Session, key: str, ids: Sequence[str]) -> dict[str, PaperParts]:
    """Stored part vectors of ``ids`` (papers without, or with a damaged blob, are absent)."""
    rows = session.execute(
        select(PaperVector.paper_id, PaperVector.vector)
        .where(PaperVector.contract == key, PaperVector.paper_id.in_(list(ids)))
    )  # fmt: skip
    out = {}
    for pid, blob in rows:
        try:
            out[pid] = decode_parts(bytes(blob))
        except ValueError:
            continue  # rewritten at the next index run; rank without it meanwhile
    return out
