"""Named run locks across processes: a PostgreSQL advisory lock, or a file lock next to the
SQLite database. Both are released by the operating system or the server when the holder dies
(a SIGKILLed run never leaves a stale lock)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Iterator

from sqlalchemy import text

from dailypapers.config import Settings
from dailypapers.errors import Conflict
from dailypapers.store import db


class Busy(Conflict):
    """Another process holds the lock."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def run_lock(settings: Settings, name: str, wait: float = 0.0) -> Iterator[None]:
    """Hold lock ``name`` for the block, waiting up to ``wait`` seconds; ``Busy`` otherwise."""
    deadline = time.monotonic() + wait
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.data_dir / f"{name}.lock", "w") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise Busy(f"another {name} run is in progress") from None
                    time.sleep(0.2)
            yield
        return
    with db.get_engine(settings).connect() as conn:
        while not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)}):
            if time.monotonic() >= deadline:
                raise Busy(f"another {name} run is in progress")
            time.sleep(0.2)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
            conn.commit()
