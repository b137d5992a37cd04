"""One writer at a time per process on SQLite.

SQLite allows one write transaction at a time; a thread that finds the database locked sleeps
in the busy handler's growing steps (up to 100 ms), so a burst of parallel writes from one
web worker collapses into long waits. Queueing those writers on a lock in the process keeps
them short and in order; other processes still meet the busy timeout. PostgreSQL locks rows,
not the database, so there the lock is skipped.

Take the lock only while already holding the connection that will write (the session has
run a query, or the ``engine.begin()`` block is entered): a lock holder that waited for a pool
connection could wait for threads that wait for the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dailypapers.config import Settings

_WRITER = threading.Lock()


@contextmanager
def sqlite_writer(settings: Settings) -> Iterator[None]:
    """Hold the process's SQLite write lock for the enclosed transaction (no-op elsewhere)."""
    if not settings.is_sqlite:
        yield
        return
    with _WRITER:
        yield
