"""What a file parser yields: a record or a readable reason, always with its line number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dailypapers.store.records import PaperRecord


@dataclass(slots=True)
class Entry:
    """One entry of an input file: ``record`` when it parsed, else ``error`` says why not."""

    line: int
    record: PaperRecord | None = None
    error: str | None = None

    @classmethod
    def bad(cls, line: int, error: str) -> Entry:
        return cls(line=line, error=error)


def parse_iso_date(value: object) -> dt.date | None:
    """``2025-03-18`` or an ISO timestamp (``2025-03-18T05:13:30.000Z``) as a date, else None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
