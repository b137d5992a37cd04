"""Feed windows and read queries (``dailypapers.feed``), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.feed import Window, parse_window
from dailypapers.store import db
from dailypapers.store.queries.feed import (
    count_feed,
    default_window,
    latest_feed_date,
    list_feed,
    neighbours,
)
from dailypapers.store.queries.papers import get_paper, normalise_paper_id, papers_by_ids
from dailypapers.store.version import bump_data_version, data_version
from tests.factories import add_papers, make_record
from tests.querylog import recorded_statements

D = dt.date


# --- windows (pure) ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "key", "start", "end"),
    [
        ("day", "2025-03-18", D(2025, 3, 18), D(2025, 3, 18)),
        ("week", "2025-W12", D(2025, 3, 17), D(2025, 3, 23)),
        ("week", "2025-w1", D(2024, 12, 30), D(2025, 1, 5)),
        ("month", "2025-02", D(2025, 2, 1), D(2025, 2, 28)),
        ("month", "2024-2", D(2024, 2, 1), D(2024, 2, 29)),
    ],
)
def test_parse_window(kind: str, key: str, start: dt.date, end: dt.date) -> None:
    window = parse_window(kind, key)
    assert (window.start, window.end) == (start, end)
    assert parse_window(kind, window.key) == window


@pytest.mark.parametrize(
    ("kind", "key"),
    [("day", "2025-02-30"), ("day", "yesterday"), ("week", "2025-W54"), ("week", "2025-12"),
     ("month", "2025-13"), ("month", "2025-00"), ("year", "2025")],
)  # fmt: skip
def test_parse_window_rejects_bad_keys(kind: str, key: str) -> None:
    with pytest.raises(ValueError, match=r"invalid|unknown"):
        parse_window(kind, key)


def test_window_shift_and_labels() -> None:
    assert Window.containing("month", D(2025, 1, 31)).shifted(-1).key == "2024-12"
    assert Window.containing("month", D(2025, 12, 1)).shifted(1).key == "2026-01"
    assert Window.containing("week", D(2025, 1, 1)).shifted(-1).key == "2024-W52"
    assert Window.containing("day", D(2025, 3, 1)).shifted(-1).key == "2025-02-28"
    assert Window.containing("day", D(2025, 3, 18)).label == "Tuesday, 18 March 2025"
    assert parse_window("week", "2025-W12").label == "Week 12 · 17\u201323 Mar 2025"
    assert D(2025, 3, 20) in parse_window("week", "2025-W12")


def test_normalise_paper_id() -> None:
    assert normalise_paper_id("2503.01234v3") == "2503.01234"
    assert normalise_paper_id(" arXiv:2503.01234 ") == "2503.01234"
    assert normalise_paper_id("https://arxiv.org/abs/2503.01234v2") == "2503.01234"
    assert normalise_paper_id("t-0123456789ab") == "t-0123456789ab"
    assert normalise_paper_id("no id here") is None


# --- queries on the real database --------------------------------------------------------------
@pytest.fixture
def feed(settings):
    """Three papers on 18 March, one on 20 March, one on 2 April 2025 (week 12 and 14)."""
    add_papers(
        settings,
        [
            make_record(arxiv_id="2503.00001", feed_date=D(2025, 3, 18), upvotes=5,
                        submitter_name="akhaliq"),
            make_record(arxiv_id="2503.00002", feed_date=D(2025, 3, 18), upvotes=50),
            make_record(arxiv_id="2503.00003", feed_date=D(2025, 3, 18), upvotes=1,
                        submitter_name="akhaliq"),
            make_record(arxiv_id="2503.00004", feed_date=D(2025, 3, 20), upvotes=9),
            make_record(arxiv_id="2504.00005", feed_date=D(2025, 4, 2),
                        title="A paper without arXiv id", upvotes=2),
            make_record(arxiv_id=None, title="Only a title", feed_date=D(2025, 4, 2)),
        ],
    )  # fmt: skip
    return settings


def _ids(items) -> list[str]:
    return [item.paper.id for item in items]


def test_list_day_week_month(feed, session) -> None:
    day = parse_window("day", "2025-03-18")
    assert _ids(list_feed(session, day)) == ["2503.00003", "2503.00002", "2503.00001"]
    assert _ids(list_feed(session, day, sort="upvotes")) == [
        "2503.00002", "2503.00001", "2503.00003",
    ]  # fmt: skip
    assert len(list_feed(session, parse_window("week", "2025-W12"))) == 4
    assert count_feed(session, parse_window("month", "2025-04")) == 2
    assert count_feed(session) == 6


def test_pagination_and_submitter(feed, session) -> None:
    pages = [_ids(list_feed(session, page=p, limit=4)) for p in range(3)]
    assert [len(p) for p in pages] == [4, 2, 0]
    assert len(set(pages[0] + pages[1])) == 6
    items = list_feed(session, submitter="akhaliq")
    assert _ids(items) == ["2503.00003", "2503.00001"]
    assert {i.submitter for i in items} == {"akhaliq"}
    assert count_feed(session, submitter="akhaliq") == 2


def test_trending_sort_uses_score(feed, settings, session) -> None:
    from sqlalchemy import update

    from dailypapers.store.models import Paper

    with db.session_scope(settings) as s:
        s.execute(update(Paper).where(Paper.id == "2503.00003").values(trending_score=9.5))
        s.execute(update(Paper).where(Paper.id == "2503.00004").values(trending_score=3.0))
    assert _ids(list_feed(session, sort="trending"))[:2] == ["2503.00003", "2503.00004"]
    week = parse_window("week", "2025-W12")
    assert _ids(list_feed(session, week, sort="trending"))[:2] == ["2503.00003", "2503.00004"]


def test_get_paper_by_any_id_form(feed, session) -> None:
    item = get_paper(session, "2503.00002v7")
    assert item is not None and item.paper.upvotes == 50
    assert item.feed_date == D(2025, 3, 18)
    assert item.paper.abs_url == "https://arxiv.org/abs/2503.00002"
    titled = list_feed(session, parse_window("day", "2025-04-02"))
    tid = next(i.paper.id for i in titled if i.paper.id.startswith("t-"))
    assert get_paper(session, tid).paper.title == "Only a title"
    assert get_paper(session, "2599.99999") is None
    assert get_paper(session, "<script>") is None


def test_papers_by_ids_keeps_order(feed, session) -> None:
    ids = ["2503.00004", "nope", "2503.00001", "2503.00004"]
    assert _ids(papers_by_ids(session, ids)) == ["2503.00004", "2503.00001"]


def test_latest_date_neighbours_and_default(feed, session) -> None:
    assert latest_feed_date(session) == D(2025, 4, 2)
    around = neighbours(session, parse_window("day", "2025-03-20"))
    assert around.previous.key == "2025-03-18"
    assert around.next.key == "2025-04-02"
    weeks = neighbours(session, parse_window("week", "2025-W12"))
    assert weeks.previous is None and weeks.next.key == "2025-W14"
    assert default_window(session, "day", today=D(2026, 1, 1)).key == "2025-04-02"
    assert default_window(session, "month", today=D(2025, 3, 1)).key == "2025-03"


def test_empty_feed(session) -> None:
    assert latest_feed_date(session) is None
    assert list_feed(session) == []
    assert default_window(session, today=D(2025, 1, 2)).key == "2025-01-02"
    assert neighbours(session, parse_window("day", "2025-01-02")).previous is None


def test_data_version_changes_on_writes(feed, settings) -> None:
    from sqlalchemy import update

    from dailypapers.store.models import Paper

    def version() -> str:
        with db.session_scope(settings) as s:
            return data_version(s)

    first = version()
    assert version() == first
    for _ in range(2):  # the counter alone moves it (the first bump inserts it)
        with db.session_scope(settings) as s:
            bump_data_version(s)
        assert version() != first
        first = version()
    with db.session_scope(settings) as s:  # a vote-like write that follows the contract
        s.execute(update(Paper).where(Paper.id == "2503.00001").values(upvotes=6))
        bump_data_version(s)
    second = version()
    assert second != first
    add_papers(settings, [make_record(feed_date=D(2025, 4, 3))])
    third = version()
    assert third != second
    add_papers(settings, [make_record(arxiv_id="2503.00002", title="A new title")])
    assert version() != third


def test_sqlite_version_sees_writes_that_do_not_bump(feed, settings) -> None:
    """On SQLite the indexed sums catch them at once (PostgreSQL relies on the bump)."""
    from sqlalchemy import update

    from dailypapers.store.models import Paper

    if not settings.is_sqlite:
        pytest.skip("on PostgreSQL every writer must bump the counter")
    with db.session_scope(settings) as s:
        first = data_version(s)
        s.execute(update(Paper).where(Paper.id == "2503.00001").values(trending_score=1.5))
    with db.session_scope(settings) as s:
        assert data_version(s) != first


def test_list_page_is_one_query(settings, session) -> None:
    """Like linkding's query-count tests: 5 or 50 entries cost the same single query."""
    add_papers(settings, [make_record(authors=[f"A{i}", f"B{i}"]) for i in range(50)])
    engine = db.get_engine(settings)
    for limit in (5, 50):
        with recorded_statements(engine) as statements:
            items = list_feed(session, parse_window("day", "2025-03-18"), limit=limit)
        assert len(items) == limit
        assert all(len(i.paper.authors) == 2 for i in items)
        assert len(statements) == 1
