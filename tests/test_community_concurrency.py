"""Parallel upvotes against a real server: one user's votes count once, many users' exactly."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from dailypapers.store import db
from dailypapers.store.models import Paper, Upvote
from tests.community_fixtures import add_paper, bearer, fresh_window, make_users

PARALLEL = 40


def _storm(url: str, tokens: list[str], method: str = "POST") -> list[int]:
    """Send one request per token, all released at the same moment; returns the status codes."""
    barrier = threading.Barrier(len(tokens))

    def one(token: str) -> int:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return client.request(method, url, headers=bearer(token)).status_code

    with ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(one, tokens))


def _counts(settings, pid: str) -> tuple[int, int]:
    with db.session_scope(settings) as session:
        rows = session.query(Upvote).filter_by(paper_id=pid).count()
        return session.get(Paper, pid).upvotes, rows


def test_parallel_upvotes_by_one_user_count_once(live_server, settings) -> None:
    settings.rate_limit_enabled = False  # 80 requests by one user would hit the limit
    pid = add_paper(settings, "2504.00001", upvotes=3)
    (token,) = make_users(settings, "solo", 1)
    codes = _storm(f"{live_server}/api/papers/{pid}/upvote", [token] * PARALLEL)
    assert codes == [200] * PARALLEL
    assert _counts(settings, pid) == (4, 1)
    codes = _storm(f"{live_server}/api/papers/{pid}/upvote", [token] * PARALLEL, "DELETE")
    assert codes == [200] * PARALLEL
    assert _counts(settings, pid) == (3, 0)


def test_parallel_upvotes_by_many_users_are_exact(live_server, settings) -> None:
    pid = add_paper(settings, "2504.00002", upvotes=7)
    tokens = make_users(settings, "crowd", PARALLEL)
    codes = _storm(f"{live_server}/api/papers/{pid}/upvote", tokens)
    assert codes == [200] * PARALLEL
    assert _counts(settings, pid) == (7 + PARALLEL, PARALLEL)
    half = tokens[: PARALLEL // 2]
    codes = _storm(f"{live_server}/api/papers/{pid}/upvote", half, "DELETE")
    assert codes == [200] * len(half)
    assert _counts(settings, pid) == (7 + PARALLEL - len(half), PARALLEL - len(half))


def test_parallel_requests_respect_the_rate_limit_exactly(
    live_server, settings, monkeypatch
) -> None:
    pid = add_paper(settings, "2504.00003")
    (token,) = make_users(settings, "eager", 1)
    fresh_window(monkeypatch)  # keep the burst inside one fixed window
    codes = _storm(f"{live_server}/api/papers/{pid}/upvote", [token] * 75)
    assert sorted(codes) == [200] * 60 + [429] * 15
