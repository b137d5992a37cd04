"""The job runner: one Huey instance, ``huey``, shared by every area's background tasks.

Storage is SQLite at ``DATA_DIR/jobs.sqlite3`` by default and Redis when
``DAILYPAPERS_REDIS_URL`` is set. It is built on first use (importing this module touches no
file or server), from the settings given to :func:`configure`, else from ``get_settings()``.

Areas declare tasks in their own ``<area>/tasks.py``::

    from dailypapers.jobs import current_settings, huey

    @huey.task()
    def send_digests(frequency: str) -> None:
        run_digests(current_settings(), frequency)

and the worker (``dailypapers worker``) imports every module of :data:`TASK_MODULES`, so it
sees them all. Tests call ``configure(settings, immediate=True)``: tasks then
run synchronously in the calling thread on an in-memory queue.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from huey import Huey, crontab
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from dailypapers.config import Settings, get_settings

__all__ = [
    "TASK_MODULES",
    "configure",
    "cron",
    "current_settings",
    "huey",
    "load_task_modules",
    "queue_info",
]

log = logging.getLogger(__name__)

# Modules holding tasks; the worker imports every one (a missing module is an error).
TASK_MODULES = [
    "dailypapers.ingest.tasks",
    "dailypapers.digest.tasks",
    "dailypapers.community.tasks",
    "dailypapers.channels.tasks",
]

_settings: Settings | None = None


class JobQueue(Huey):
    """Huey whose storage is created lazily from the current settings."""

    _storage = None
    _storage_lock = threading.Lock()

    @property
    def storage(self):  # type: ignore[no-untyped-def]
        if self._storage is None:
            with self._storage_lock:  # web threads may all reach for the queue at once
                if self._storage is None:
                    self._storage = self._build_storage()
        return self._storage

    @storage.setter
    def storage(self, value) -> None:  # type: ignore[no-untyped-def]
        self._storage = value

    def create_storage(self):  # type: ignore[no-untyped-def]
        # Huey calls this in __init__ and when ``immediate`` changes; None means "build lazily".
        if self._immediate and self.immediate_use_memory:
            return MemoryStorage(self.name)
        return None

    def _build_storage(self):  # type: ignore[no-untyped-def]
        settings = current_settings()
        if settings.redis_url:
            return RedisStorage(self.name, url=settings.redis_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path = (settings.data_dir / "jobs.sqlite3").resolve()
        return SqliteStorage(self.name, filename=str(path), timeout=30)

    @property
    def backend(self) -> str:
        """``memory``, ``redis`` or ``sqlite``: what the queue is stored in (for status output)."""
        if self.immediate:
            return "memory"
        return "redis" if current_settings().redis_url else "sqlite"


huey = JobQueue("dailypapers", utc=True)


def current_settings() -> Settings:
    """The settings tasks run with: those given to :func:`configure`, else the process's."""
    return _settings if _settings is not None else get_settings()


def configure(settings: Settings | None = None, *, immediate: bool | None = None) -> JobQueue:
    """Point ``huey`` at ``settings``' queue (rebuilt on next use); optionally immediate mode.

    ``immediate=True`` runs tasks synchronously where they are enqueued, on an in-memory
    queue (what tests want); ``False`` returns to the configured SQLite or Redis queue.
    """
    global _settings
    _settings = settings
    if huey._storage is not None and not isinstance(huey._storage, MemoryStorage):
        _close_storage(huey._storage)
        huey._storage = None
    if immediate is not None:
        huey.immediate = immediate
    return huey


def _close_storage(storage) -> None:  # type: ignore[no-untyped-def]
    close = getattr(storage, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # closing a stale connection must never block reconfiguring
            log.debug("closing job storage failed", exc_info=True)


def load_task_modules() -> list[str]:
    """Import every module of :data:`TASK_MODULES` (failing loudly); returns their names."""
    for name in TASK_MODULES:
        importlib.import_module(name)
    return list(TASK_MODULES)


@lru_cache(maxsize=64)
def _crontab(expression: str) -> Callable[[dt.datetime], bool]:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression {expression!r} needs 5 fields: min hour day month dow")
    minute, hour, day, month, day_of_week = fields
    return crontab(minute, hour, day, month, day_of_week, strict=True)


def cron(expression: str | Callable[[Settings], str]) -> Callable[[dt.datetime], bool]:
    """A periodic-task validator from a cron expression (UTC; day of week 0 = Sunday).

    Pass a function of the settings to read the schedule at each check, so that a setting
    changed by ``configure`` applies without re-importing the task module. An empty
    expression disables the task.
    """

    def validate(now: dt.datetime) -> bool:
        text = expression(current_settings()) if callable(expression) else expression
        if not text or not text.strip():
            return False
        return _crontab(text.strip())(now)

    return validate


def queue_info() -> dict[str, Any]:
    """Queue backend and pending tasks; a queue that cannot be reached is shown, not raised."""
    try:
        return {"backend": huey.backend, "pending": huey.pending_count(), "error": None}
    except Exception as exc:  # a down Redis must not take the status page with it
        log.warning("job queue unavailable: %s", exc)
        return {"backend": "unavailable", "pending": None, "error": str(exc)}
