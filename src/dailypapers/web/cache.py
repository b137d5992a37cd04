"""A small in-process cache of API responses and page data, invalidated by the data version.

Each worker keeps its own LRU of response bodies. At most once per
``api_cache_seconds`` a request asks the database for ``feed.data_version`` (one cheap
query); when it changed, the cache is emptied. Workers therefore never serve data older
than that interval, whichever worker or process wrote it (several uvicorn workers on
PostgreSQL included). ``api_cache_seconds = 0`` checks on every request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from dailypapers.store.version import data_version, local_bumps


class VersionedCache:
    """LRU of values (encoded API bodies, page data) keyed by request parameters.

    Emptied when ``version()`` changes. Values are shared between requests: treat them as
    read-only.
    """

    def __init__(self, version: Callable[[], str], interval: float, maxsize: int = 512) -> None:
        self._version_fn = version
        self._interval = interval
        self._maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._version: str | None = None
        self._checked_at = float("-inf")
        self._refreshing = False
        self._bumps_seen = local_bumps()
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}

    @property
    def version(self) -> str | None:
        return self._version

    def due(self) -> bool:
        """Whether the next request should re-read the data version first."""
        return (
            time.monotonic() - self._checked_at >= self._interval
            or local_bumps() != self._bumps_seen
        )

    def refresh(self) -> None:
        """Re-read the data version (blocking: one query) and drop entries if it changed."""
        bumps = local_bumps()  # read first: a bump during the query triggers another check
        current = self._version_fn()
        with self._lock:
            self._bumps_seen = bumps
            self._checked_at = time.monotonic()
            if current != self._version:
                self._data.clear()
                self._version = current

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any, seen_version: str | None) -> None:
        """Store ``value`` computed while ``seen_version`` was current (ignored if stale)."""
        with self._lock:
            if seen_version != self._version:
                return
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    async def fetch(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached body for ``key``, else ``compute()`` in a worker thread (then cached)."""
        if self.due() and not self._refreshing:
            # One request re-reads the version; the others keep serving meanwhile.
            self._refreshing = True
            try:
                await run_in_threadpool(self.refresh)
            finally:
                self._refreshing = False
        body = self.get(key)
        if body is not None:
            return body
        pending = self._inflight.get(key)
        if pending is not None:  # the same miss is being computed: share its result
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            seen = self._version
            body = await run_in_threadpool(compute)
            self.put(key, body, seen)
            future.set_result(body)
            return body
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody logs it twice
            raise
        finally:
            del self._inflight[key]


def response_cache(app: FastAPI) -> VersionedCache:
    """The app's cache (created on first use, one per app and worker process)."""
    cache = getattr(app.state, "response_cache", None)
    if cache is None:
        settings = app.state.settings
        maker = app.state.sessionmaker

        def version() -> str:
            with maker() as session:
                return data_version(session)

        cache = VersionedCache(version, interval=settings.api_cache_seconds)
        app.state.response_cache = cache
    return cache
