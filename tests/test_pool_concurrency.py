"""More concurrent requests than the connection pool holds all succeed (issue 14's deadlock).

A request holds one pooled connection at most: template helpers use the request's session.
Before, a paper page held its session while helpers opened a second one, and above the pool
size every request waited for a connection that never came.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.community_fixtures import make_user
from tests.factories import add_papers, make_record

CONCURRENCY = 64


@pytest.fixture
def site(settings, live_server):  # a few papers with authors and an organization
    authors = ["Ada Lovelace", "Charles Babbage"]
    records = [
        make_record(title=f"Pooled connections {n}", authors=authors, organization="Engines")
        for n in range(5)
    ]
    add_papers(settings, records)
    _, token = make_user(settings, "reader")
    return live_server, [r.arxiv_id for r in records], token


def _paths(ids: list[str]) -> list[str]:
    return [
        f"/papers/{ids[0]}", f"/papers/{ids[1]}", "/search?q=pooled+connections&mode=keyword",
        "/authors/Ada%20Lovelace", "/engines/papers", "/date/2025-03-18",
    ]  # fmt: skip


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_more_requests_than_the_pool_all_succeed(site, signed_in: bool) -> None:
    base, ids, token = site
    headers = {"Authorization": f"Bearer {token}"} if signed_in else {}
    # One client per worker thread, as separate browsers would be: a single httpx client shared
    # by 64 threads races on its own keep-alive pool (a socket closed under a reader, EBADF).
    local, clients = threading.local(), []

    def get(url: str) -> int:
        if not hasattr(local, "client"):
            local.client = httpx.Client(headers=headers, timeout=120)
            clients.append(local.client)
        return local.client.get(url).status_code

    failed = []
    try:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for path in _paths(ids):  # a burst of CONCURRENCY requests at each page type
                statuses = pool.map(get, [base + path] * CONCURRENCY)
                failed += [(path, status) for status in statuses if status != 200]
    finally:
        for client in clients:
            client.close()
    assert failed == []
