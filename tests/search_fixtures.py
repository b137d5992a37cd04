"""Test data for search: real papers from the shared 74k corpus with their shared vectors."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from functools import lru_cache

import numpy as np

from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from tests.conftest import CORPUS_74K

VECTORS = CORPUS_74K.with_name("arxiv-cs-74k.minilm.f16.npy")


@lru_cache(maxsize=2)
def corpus_rows(n: int) -> list[dict]:
    """The first ``n`` papers of the corpus, as JSON objects."""
    out = []
    with gzip.open(CORPUS_74K, "rt") as fh:
        for line in fh:
            out.append(json.loads(line))
            if len(out) >= n:
                break
    return out


def record(row: dict, **extra) -> PaperRecord:
    day = dt.date.fromisoformat(row["first_listing_date"])
    return PaperRecord(
        title=row["title"], abstract=row["abstract"], arxiv_id=row["id"], authors=row["authors"],
        categories=row["categories"], published_on=day, feed_date=day, **extra,
    )  # fmt: skip


def load_papers(settings: Settings, n: int, vectors: bool = True) -> list[dict]:
    """Store the first ``n`` corpus papers (and their precomputed vectors); returns the rows."""
    from dailypapers.search.indexer import import_vectors

    rows = corpus_rows(n)
    with db.session_scope(settings) as session:
        upsert_records(session, [record(r) for r in rows])
    if vectors:
        matrix = np.load(VECTORS, mmap_mode="r")[:n]
        import_vectors(settings, [r["id"] for r in rows], np.asarray(matrix))
    return rows
