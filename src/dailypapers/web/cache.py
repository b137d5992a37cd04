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

from fastapi import FastAPI, Request
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
        self.changed_at = time.time()  # wall-clock time this worker first saw the version
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
                self.changed_at = time.time()

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

    async def ensure_fresh(self) -> None:
        """Re-read the data version if it is due (one request does; the others keep serving)."""
        if self.due() and not self._refreshing:
            self._refreshing = True
            try:
                await run_in_threadpool(self.refresh)
            finally:
                self._refreshing = False

    def follow(self, leader: VersionedCache) -> None:
        """Take ``leader``'s data version (no query): entries go when it moved on."""
        with self._lock:
            if leader.version != self._version:
                self._data.clear()
                self._version = leader.version
                self.changed_at = leader.changed_at
        self._checked_at = time.monotonic()
        self._bumps_seen = leader._bumps_seen

    async def fetch(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached body for ``key``, else ``compute()`` in a worker thread (then cached)."""
        await self.ensure_fresh()
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
    """The app's cache of API bodies and page data (one per app and worker process)."""
    cache: VersionedCache | None = getattr(app.state, "response_cache", None)
    if cache is None:
        settings = app.state.settings
        maker = app.state.sessionmaker

        def version() -> str:
            with maker() as session:
                return data_version(session)

        cache = VersionedCache(version, interval=settings.api_cache_seconds)
        app.state.response_cache = cache
    return cache


async def page_cache(request: Request) -> VersionedCache:
    """The app's cache of whole pages rendered for anonymous visitors (see ``page_cache.py``):
    apart from ``response_cache`` so that large pages never push API bodies out, and following
    its data version (no query of its own, none if this request already checked it)."""
    app = request.app
    leader = response_cache(app)
    if not getattr(request.state, "data_version_checked", False):
        await leader.ensure_fresh()
    pages: VersionedCache | None = getattr(app.state, "page_cache", None)
    if pages is None:
        pages = app.state.page_cache = VersionedCache(lambda: leader.version or "", 3600, 256)
    pages.follow(leader)
    return pages
