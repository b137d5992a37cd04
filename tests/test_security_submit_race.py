"""Concurrent submissions of one new paper (issue 14): one 201, 409 for the rest, never a 500.

Real uvicorn, real threads, and a local arXiv replay server; SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper
from tests.community_fixtures import arxiv_replay, bearer, make_users

PARALLEL = 24
ARXIV_ID = "2511.07777"


def _storm(url: str, tokens: list[str], body: dict) -> list[httpx.Response]:
    barrier = threading.Barrier(len(tokens))

    def one(token: str) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return client.post(url, json=body, headers=bearer(token))

    with ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(one, tokens))


def test_parallel_submissions_of_one_new_paper(live_server, settings) -> None:
    tokens = make_users(settings, "racer", PARALLEL)
    with arxiv_replay({ARXIV_ID: "Racing to the feed"}) as (url, seen):
        settings.arxiv_api_url = url
        answers = _storm(f"{live_server}/api/papers/submit", tokens, {"id": ARXIV_ID})
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * (PARALLEL - 1), codes
    for response in answers:
        if response.status_code == 409:
            assert "already in the feed" in response.json()["error"]
    winner = next(r for r in answers if r.status_code == 201).json()
    assert winner["id"] == ARXIV_ID and winner["title"] == "Racing to the feed"
    with db.session_scope(settings) as session:
        assert session.scalar(select(func.count()).select_from(Paper)) == 1
        entries = session.execute(select(FeedEntry.paper_id)).scalars().all()
        assert entries == [ARXIV_ID]
    assert len(seen) >= 1  # fetched from the replay server, not invented
