"""Fixed-window rate limits for write endpoints, usable as a FastAPI dependency.

    @router.post("/api/papers/{paper_id}/upvote",
                 dependencies=[Depends(rate_limit("upvote", per_minute=30))])

A request counts against ``NAME`` for its user (when logged in) or else its client address
(behind a reverse proxy, set ``DAILYPAPERS_FORWARDED_ALLOW_IPS`` so that address is the
real client). Counters live in Redis when ``settings.redis_url`` is set (``INCR`` + ``EXPIRE``),
otherwise in the ``rate_limits`` table, so every web worker shares them. Over the limit the
request gets 429 with ``Retry-After`` (seconds until the window ends).
``settings.rate_limit_enabled = False`` turns every limit off.

Fixed windows allow a burst of up to twice the limit across a window boundary; that is fine
for abuse protection and keeps each check to one round trip.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from functools import lru_cache

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.db import sqlite_writer
from dailypapers.store.models import RateLimitHit, table_of
from dailypapers.web.deps import current_user

log = logging.getLogger(__name__)
_CLEANUP_PROBABILITY = 0.01  # prune expired windows on about one hit in a hundred
clock: Callable[[], float] = time.time  # what windows are counted by (tests move it)


@lru_cache(maxsize=4)
def _redis(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _hit_redis(url: str, key: str, window_start: int, window: int) -> int:
    full = f"dailypapers:rl:{key}:{window_start}"
    pipe = _redis(url).pipeline()
    pipe.incr(full)
    pipe.expire(full, window + 5)
    count, _ = pipe.execute()
    return int(count)


def _hit_database(settings: Settings, key: str, window_start: int) -> int:
    dialect = sqlite if settings.is_sqlite else postgresql
    table = table_of(RateLimitHit)
    stmt = dialect.insert(table).values(key=key, window_start=window_start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window_start], set_={"count": table.c.count + 1}
    ).returning(table.c.count)
    # Connection first, then the writer lock: a lock holder must never wait for the pool.
    with db.get_engine(settings).begin() as conn, sqlite_writer(settings):
        count = conn.execute(stmt).scalar_one()
        if random.random() < _CLEANUP_PROBABILITY:
            conn.execute(delete(table).where(table.c.window_start < window_start - 86400))
    return int(count)


def hit(settings: Settings, key: str, limit: int, window: int = 60) -> int | None:
    """Count one hit on ``key``; None when allowed, else the seconds until it is allowed again."""
    if not settings.rate_limit_enabled:
        return None
    now = clock()
    window_start = int(now // window * window)
    key = key[:190]
    count = None
    if settings.redis_url:
        try:
            count = _hit_redis(settings.redis_url, key, window_start, window)
        except Exception:  # Redis down: fall back to the database rather than fail open
            log.warning("rate limit: Redis unavailable, counting in the database", exc_info=True)
    if count is None:
        count = _hit_database(settings, key, window_start)
    if count <= limit:
        return None
    return max(1, math.ceil(window_start + window - now))


def client_key(request: Request, user: CurrentUser | None) -> str:
    """Who a hit counts against: the user when known, else the client address."""
    if user is not None:
        return f"u:{user.id}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


def rate_limit(
    name: str, per_minute: int | None = None, per_hour: int | None = None
) -> Callable[..., None]:
    """A dependency allowing ``per_minute`` (or ``per_hour``) requests named ``name`` per client."""
    if (per_minute is None) == (per_hour is None):
        raise ValueError("give exactly one of per_minute and per_hour")
    limit, window = (per_minute, 60) if per_minute is not None else (per_hour, 3600)
    assert limit is not None

    def check(request: Request, user: CurrentUser | None = Depends(current_user)) -> None:
        settings: Settings = request.app.state.settings
        retry_after = hit(settings, f"{name}:{client_key(request, user)}", limit, window)
        if retry_after is not None:
            unit = "minute" if window == 60 else "hour"
            raise HTTPException(
                429,
                f"Too many {name} requests (at most {limit} a {unit}); "
                f"try again in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )

    check.__name__ = f"rate_limit_{name}"
    return check
