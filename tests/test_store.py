"""The store: migrations and idempotent upserts, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperAuthor
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord, parse_arxiv_id, title_id


def _record(**overrides) -> PaperRecord:
    values = dict(
        title="Attention Is All You Need", abstract="We propose the Transformer.",
        arxiv_id="1706.03762", authors=["Ashish Vaswani", "Noam Shazeer"],
        categories=["cs.CL", "cs.LG"], version=1, feed_date=dt.date(2017, 6, 13),
    )  # fmt: skip
    values.update(overrides)
    return PaperRecord(**values)


def test_upgrade_is_idempotent(settings) -> None:
    db.upgrade(settings)
    db.upgrade(settings)
    assert db.is_current(settings)


def test_same_input_twice_changes_nothing(session) -> None:
    first = upsert_records(session, [_record()])
    second = upsert_records(session, [_record()])
    assert (first.added, first.updated) == (1, 0)
    assert (second.added, second.updated, second.skipped) == (0, 0, 1)
    assert session.scalar(select(func.count()).select_from(PaperAuthor)) == 2


def test_newer_version_updates_older_does_not(session) -> None:
    upsert_records(session, [_record(version=2, abstract="v2 abstract")])
    stats = upsert_records(session, [_record(version=1, abstract="v1 abstract")])
    assert stats.skipped == 1
    assert session.get(Paper, "1706.03762").abstract == "v2 abstract"
    stats = upsert_records(session, [_record(version=3, abstract="v3 abstract")])
    assert stats.updated == 1
    assert session.get(Paper, "1706.03762").abstract == "v3 abstract"


def test_unknown_fields_never_erase(session) -> None:
    upsert_records(session, [_record(github_repo="https://github.com/x/y")])
    upsert_records(session, [_record(version=None, authors=[], upvotes=7)])
    paper = session.get(Paper, "1706.03762")
    assert paper.github_repo == "https://github.com/x/y"
    assert paper.authors == ["Ashish Vaswani", "Noam Shazeer"]
    assert paper.upvotes == 7


def test_feed_entry_is_created_once_at_the_earliest_date(session) -> None:
    upsert_records(session, [_record(feed_date=dt.date(2017, 6, 14))])
    upsert_records(session, [_record(feed_date=dt.date(2017, 6, 20), submitter_name="ak")])
    entry = session.get(FeedEntry, "1706.03762")
    assert entry.feed_date == dt.date(2017, 6, 14)
    assert entry.submitter_name == "ak"


def test_title_only_records_merge_by_title(session) -> None:
    upsert_records(session, [_record()])
    stats = upsert_records(
        session, [PaperRecord(title="Attention is all you need!", organization="Google")]
    )
    assert stats.updated == 1
    assert session.get(Paper, "1706.03762").organization == "Google"
    assert session.scalar(select(func.count()).select_from(Paper)) == 1


def test_ids() -> None:
    assert parse_arxiv_id("https://arxiv.org/abs/2511.01234v3") == ("2511.01234", 3)
    assert parse_arxiv_id("arXiv:2511.01234") == ("2511.01234", None)
    assert parse_arxiv_id("hep-th/9901001v2") == ("hep-th/9901001", 2)
    assert parse_arxiv_id("no id here") is None
    assert title_id("A  Title") == title_id("a title!")
