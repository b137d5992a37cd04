"""Rate-limit counters: Redis when configured, the database otherwise, and the fallback."""

from __future__ import annotations

import uuid

import pytest

from dailypapers.web.ratelimit import hit, rate_limit

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _burst(settings, key: str, limit: int, count: int) -> list[int | None]:
    return [hit(settings, key, limit, window=3600) for _ in range(count)]


def test_database_counter(settings) -> None:
    results = _burst(settings, f"t:{uuid.uuid4().hex}", 3, 5)
    assert results[:3] == [None] * 3
    assert all(r is not None and 1 <= r <= 3600 for r in results[3:])


@pytest.mark.redis
@pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")
def test_redis_counter_is_shared_and_expires(settings) -> None:
    import redis

    settings.redis_url = REDIS_URL
    key = f"t:{uuid.uuid4().hex}"
    assert _burst(settings, key, 2, 3)[2] is not None
    stored = redis.Redis.from_url(REDIS_URL).keys(f"dailypapers:rl:{key}:*")
    assert len(stored) == 1
    assert 0 < redis.Redis.from_url(REDIS_URL).ttl(stored[0]) <= 3605


def test_unreachable_redis_falls_back_to_the_database(settings) -> None:
    settings.redis_url = "redis://127.0.0.1:1/0"  # nothing listens there
    results = _burst(settings, f"t:{uuid.uuid4().hex}", 1, 2)
    assert results[0] is None and results[1] is not None


def test_disabled_limits_never_count(settings) -> None:
    settings.rate_limit_enabled = False
    assert _burst(settings, "t:off", 1, 5) == [None] * 5


def test_limit_needs_exactly_one_window() -> None:
    with pytest.raises(ValueError):
        rate_limit("x")
    with pytest.raises(ValueError):
        rate_limit("x", per_minute=1, per_hour=1)
