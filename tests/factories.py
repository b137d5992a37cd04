"""Test data factories: ``PaperRecord``s with sensible defaults, stored through the real upsert.

Use ``make_record(**overrides)`` for one record, ``make_records(n, **overrides)`` for several,
and ``add_papers(settings, records)`` to store them in one committed transaction.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.papers import UpsertStats, upsert_records
from dailypapers.store.records import PaperRecord

_counter = itertools.count(1)
DEFAULT_DATE = dt.date(2025, 3, 18)


def make_record(**overrides: object) -> PaperRecord:
    """A complete, valid record with a unique arXiv id (``2503.1NNNN``) unless overridden.

    Pass ``arxiv_id=None`` for a title-only paper (its id becomes ``t-…``).
    """
    n = next(_counter)
    fields: dict[str, object] = {
        "title": f"Paper number {n}: learning things",
        "abstract": f"We study problem {n}. Our method improves results on several benchmarks.",
        "arxiv_id": f"2503.{10000 + n:05d}",
        "authors": [f"Author {n}a", f"Author {n}b"],
        "categories": ["cs.LG", "cs.AI"],
        "published_on": DEFAULT_DATE,
        "version": 1,
        "feed_date": DEFAULT_DATE,
        "upvotes": 0,
    }
    fields.update(overrides)
    return PaperRecord(**fields)


def make_records(count: int, **overrides: object) -> list[PaperRecord]:
    """``count`` distinct records sharing ``overrides`` (e.g. one feed date)."""
    return [make_record(**overrides) for _ in range(count)]


def add_papers(settings: Settings, records: Iterable[PaperRecord]) -> UpsertStats:
    """Store records in one committed transaction through ``upsert_records``."""
    with db.session_scope(settings) as session:
        return upsert_records(session, list(records))
