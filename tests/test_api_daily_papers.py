"""``GET /api/daily_papers``: Hugging Face shapes, filters, sorting, paging, errors, caching."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from dailypapers.store import db
from dailypapers.store.models import Paper
from dailypapers.store.version import bump_data_version
from dailypapers.web.cache import VersionedCache
from tests.factories import add_papers, make_record

D = dt.date


@pytest.fixture
def feed(settings):
    add_papers(
        settings,
        [
            make_record(arxiv_id="2503.00001", feed_date=D(2025, 3, 18), upvotes=5,
                        submitter_name="akhaliq", organization="Google",
                        github_repo="https://github.com/x/y", github_stars=12,
                        project_page="https://x.github.io", published_on=D(2025, 3, 17),
                        authors=["Ada Lovelace", "Alan Turing"]),
            make_record(arxiv_id="2503.00002", feed_date=D(2025, 3, 18), upvotes=50),
            make_record(arxiv_id="2503.00003", feed_date=D(2025, 3, 20), upvotes=1,
                        submitter_name="akhaliq"),
            make_record(arxiv_id="2504.00004", feed_date=D(2025, 4, 2), upvotes=9),
            make_record(arxiv_id=None, title="Six authors, names unknown", authors=[],
                        author_count=6, feed_date=D(2025, 4, 2)),
        ],
    )  # fmt: skip
    return settings


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["paper"]["id"] for item in response.json()]


def test_item_shape_matches_hugging_face(feed, client) -> None:
    response = client.get("/api/daily_papers", params={"date": "2025-03-18"})
    assert response.headers["content-type"] == "application/json"
    item = next(i for i in response.json() if i["paper"]["id"] == "2503.00001")
    assert item["publishedAt"] == "2025-03-18T00:00:00.000Z"
    assert item["title"] == item["paper"]["title"]
    assert item["numComments"] == 0
    assert item["submittedBy"]["user"] == "akhaliq"
    assert item["organization"] == item["paper"]["organization"]
    assert (item["organization"]["name"], item["organization"]["fullname"]) == ("google", "Google")
    paper = item["paper"]
    assert paper["publishedAt"] == "2025-03-17T00:00:00.000Z"
    assert paper["submittedOnDailyAt"] == "2025-03-18T00:00:00.000Z"
    assert [a["name"] for a in paper["authors"]] == ["Ada Lovelace", "Alan Turing"]
    assert paper["upvotes"] == 5 and paper["summary"].startswith("We study")
    assert paper["githubRepo"] == "https://github.com/x/y" and paper["githubStars"] == 12
    assert paper["projectPage"] == "https://x.github.io"
    assert paper["categories"] == ["cs.LG", "cs.AI"]


def test_unknown_values_are_left_out(feed, client) -> None:
    items = client.get("/api/daily_papers", params={"date": "2025-04-02"}).json()
    titled = next(i for i in items if i["paper"]["id"].startswith("t-"))
    assert "submittedBy" not in titled and "organization" not in titled
    assert "githubRepo" not in titled["paper"]
    assert titled["paper"]["authors"] == [] and titled["paper"]["numAuthors"] == 6


def test_date_week_month_windows(feed, client) -> None:
    assert _ids(client.get("/api/daily_papers?date=2025-03-18")) == ["2503.00002", "2503.00001"]
    assert _ids(client.get("/api/daily_papers?week=2025-W12")) == [
        "2503.00003", "2503.00002", "2503.00001",
    ]  # fmt: skip
    assert len(_ids(client.get("/api/daily_papers?month=2025-04"))) == 2
    assert _ids(client.get("/api/daily_papers?date=2024-01-01")) == []


def test_default_is_newest_first_with_paging(feed, client) -> None:
    everything = _ids(client.get("/api/daily_papers"))
    assert len(everything) == 5 and everything[-1] == "2503.00001"
    pages = [_ids(client.get(f"/api/daily_papers?p={p}&limit=2")) for p in range(3)]
    assert [pid for page in pages for pid in page] == everything


def test_submitter_and_trending(feed, settings, client) -> None:
    assert _ids(client.get("/api/daily_papers?submitter=akhaliq")) == ["2503.00003", "2503.00001"]
    assert _ids(client.get("/api/daily_papers?submitter=nobody")) == []
    with db.session_scope(settings) as s:
        s.execute(update(Paper).where(Paper.id == "2503.00001").values(trending_score=7.0))
        s.execute(update(Paper).where(Paper.id == "2503.00002").values(trending_score=2.0))
    assert _ids(client.get("/api/daily_papers?sort=trending&limit=2")) == [
        "2503.00001", "2503.00002",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("date=2025-02-30", 400, "invalid date"),
        ("date=yesterday", 400, "YYYY-MM-DD"),
        ("week=2025-W60", 400, "expected an ISO week YYYY-Www"),
        ("month=2025-13", 400, "YYYY-MM"),
        ("date=2025-03-18&week=2025-W12", 400, "at most one"),
        ("limit=0", 422, "limit"),
        ("limit=1000", 422, "limit"),
        ("p=-1", 422, "p"),
        ("p=abc", 422, "p"),
        ("sort=random", 422, "sort"),
    ],
)
def test_bad_parameters_get_clear_4xx(client, query: str, status: int, words: str) -> None:
    response = client.get(f"/api/daily_papers?{query}")
    assert response.status_code == status
    assert words.lower() in response.json()["error"].lower()


def test_writes_show_up_through_the_cache(feed, settings, client) -> None:
    first = client.get("/api/daily_papers?date=2025-03-18").json()
    assert first[0]["paper"]["upvotes"] == 50
    with db.session_scope(settings) as s:  # as votes do: change the count, bump the version
        s.execute(update(Paper).where(Paper.id == "2503.00002").values(upvotes=51))
        bump_data_version(s)
    assert client.get("/api/daily_papers?date=2025-03-18").json()[0]["paper"]["upvotes"] == 51
    add_papers(settings, [make_record(arxiv_id="2503.00009", feed_date=D(2025, 3, 18))])
    assert "2503.00009" in _ids(client.get("/api/daily_papers?date=2025-03-18"))


def test_versioned_cache_checks_at_most_once_per_interval() -> None:
    versions = iter(["a", "a", "b"])
    calls: list[str] = []

    def version() -> str:
        calls.append("v")
        return next(versions)

    cache = VersionedCache(version, interval=3600)
    assert cache.due()
    cache.refresh()
    cache.put("k", b"1", cache.version)
    assert not cache.due() and cache.get("k") == b"1" and len(calls) == 1
    cache.refresh()  # same version: entries stay
    assert cache.get("k") == b"1"
    cache.refresh()  # new version: emptied, and a body computed under the old one is refused
    assert cache.get("k") is None
    cache.put("k", b"stale", "a")
    assert cache.get("k") is None


def test_error_message_is_a_readable_sentence(client) -> None:
    error = client.get("/api/daily_papers?week=2025-W60").json()["error"]
    assert error == "Invalid week '2025-W60': expected an ISO week YYYY-Www, e.g. 2025-W12"


def test_concurrent_misses_compute_once() -> None:
    import asyncio
    import threading

    calls: list[int] = []
    gate = threading.Event()

    def compute() -> bytes:
        calls.append(1)
        gate.wait(5)
        return b"[]"

    cache = VersionedCache(lambda: "v1", interval=3600)
    cache.refresh()

    async def run() -> list[bytes]:
        tasks = [asyncio.create_task(cache.fetch("k", compute)) for _ in range(8)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(run()) == [b"[]"] * 8
    assert len(calls) == 1
    assert cache.get("k") == b"[]"


def test_a_bump_in_this_process_is_seen_at_once(feed, settings) -> None:
    from dailypapers.store.version import data_version
    from dailypapers.web.cache import VersionedCache

    def version() -> str:
        with db.session_scope(settings) as s:
            return data_version(s)

    cache = VersionedCache(version, interval=3600)
    cache.refresh()
    cache.put("k", b"old", cache.version)
    assert not cache.due()
    with db.session_scope(settings) as s:
        s.execute(update(Paper).where(Paper.id == "2503.00002").values(upvotes=99))
        bump_data_version(s)
    assert cache.due()  # without waiting an hour
    cache.refresh()
    assert cache.get("k") is None
