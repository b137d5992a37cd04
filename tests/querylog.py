"""Count the SQL statements a piece of work sends, for the no-N+1 tests.

The app's own background threads (the search index's refresher, warm-ups, the
vector-graph builder) share the engine and may query at any moment; their
statements are not the request's, so they are left out of the count.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

BACKGROUND_THREADS = ("search-index-refresh", "search-warm-up", "foryou-warm-up", "vector-graph")


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """Yield a list that fills with the statements sent while the block runs."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not threading.current_thread().name.startswith(BACKGROUND_THREADS):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
