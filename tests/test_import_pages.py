"""Importing the Daily Papers page text format: the four shared sample pages and variations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dailypapers.ingest.pages import parse_pages
from dailypapers.ingest.runner import import_paths
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper
from dailypapers.store.records import title_id
from tests.conftest import PAGES_DIR

pytestmark = pytest.mark.skipif(not PAGES_DIR.is_dir(), reason="../shared/corpus/pages missing")
TODAY = dt.date(2026, 11, 22)


def _paper(settings, title: str) -> Paper:
    with db.session_scope(settings) as session:
        paper = session.get(Paper, title_id(title))
        assert paper is not None, title
        return paper


def _feed_date(settings, paper_id: str) -> dt.date:
    with db.session_scope(settings) as session:
        return session.scalar(select(FeedEntry.feed_date).where(FeedEntry.paper_id == paper_id))


def test_all_four_pages_give_173_distinct_papers(settings) -> None:
    report = import_paths(settings, [PAGES_DIR])
    assert report.files == 4
    assert report.errors == []
    assert (report.read, report.added, report.skipped) == (175, 173, 2)
    with db.session_scope(settings) as session:
        assert session.scalar(select(func.count()).select_from(Paper)) == 173
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 173


def test_entry_fields_author_count_date_upvotes(settings) -> None:
    import_paths(settings, [PAGES_DIR], year=2026)
    paper = _paper(settings, "Tuning Pre-trained Model via Moment Probing")
    assert paper.author_count == 6
    assert paper.authors == []
    assert paper.published_on == dt.date(2023, 7, 21)
    assert paper.abstract.startswith("Recently, efficient fine-tuning of large-scale")
    assert _feed_date(settings, paper.id) == dt.date(2023, 7, 21)
    curricula = _paper(settings, "When Do Curricula Work in Federated Learning?")
    assert (curricula.author_count, curricula.upvotes) == (8, 1)
    assert curricula.published_on == dt.date(2022, 12, 24)


def test_organization_lines(settings) -> None:
    import_paths(settings, [PAGES_DIR])
    with db.session_scope(settings) as session:
        orgs = dict(session.execute(select(Paper.title, Paper.organization).where(
            Paper.organization.is_not(None))).all())  # fmt: skip
    assert sorted(orgs.values()) == ["Apple", "ByteDance Seed"]
    assert any(t.startswith("LinEAS") for t, o in orgs.items() if o == "Apple")


def test_glued_chrome_and_no_blank_lines(settings) -> None:
    page = next(PAGES_DIR.glob("002_*.txt"))
    entries = list(parse_pages(page.read_text().splitlines(), today=TODAY))
    assert len(entries) == 31 and all(e.record for e in entries)
    first = entries[0].record
    assert first.title.startswith("How Post-Training Reshapes LLMs")
    assert first.published_on is None and first.author_count is None
    # no date on the entry nor on the page: it enters the feed on the day of the import
    assert first.feed_date == TODAY
    titles = [e.record.title for e in entries]
    assert not any(t.startswith(("Subscribe", "Get trending")) for t in titles)


def test_entry_without_byline_keeps_its_page_date(settings) -> None:
    page = next(PAGES_DIR.glob("000_*.txt"))
    records = [e.record for e in parse_pages(page.read_text().splitlines(), year=2026)]
    raptor = next(r for r in records if r.title.startswith("RAPTOR"))
    assert raptor.published_on is None and raptor.author_count is None
    assert raptor.feed_date == dt.date(2026, 6, 11)  # the page's own date, "Jun 11"


def test_year_rule_inferred_and_overridden() -> None:
    page = next(PAGES_DIR.glob("000_*.txt"))
    lines = page.read_text().splitlines()
    inferred = {e.record.title: e.record for e in parse_pages(lines, today=TODAY)}
    # the newest year written on this page is 2025, so yearless dates are in 2026
    assert inferred["OCRR: A Benchmark for Online Correction Recovery under Distribution Shift"
                    ].published_on == dt.date(2026, 5, 3)  # fmt: skip
    forced = {e.record.title: e.record for e in parse_pages(lines, year=2031, today=TODAY)}
    ocrr = forced["OCRR: A Benchmark for Online Correction Recovery under Distribution Shift"]
    assert ocrr.published_on == dt.date(2031, 5, 3)
    # dates that carry a year keep it whatever --year says
    assert forced["Tuning Pre-trained Model via Moment Probing"].published_on.year == 2023


def test_year_never_after_today_and_defaults_to_today() -> None:
    page = "Daily Papers\nA title\nAn abstract.\n  • 2 authors\n·\nMar 3, 2026 5\n" \
           "Second\nIts abstract.\n  • 1 author\n·\nFeb 1\n"  # fmt: skip
    records = [e.record for e in parse_pages(page.splitlines(), today=dt.date(2026, 4, 1))]
    assert records[1].published_on == dt.date(2026, 2, 1)  # 2027 would be in the future
    assert records[0].upvotes == 5 and records[1].upvotes is None
    bare = [e.record for e in parse_pages(["Subscribe", "T", "A", "·", "Feb 1"],
                                          today=dt.date(2024, 5, 1))]  # fmt: skip
    assert bare[0].published_on == dt.date(2024, 2, 1)


def test_duplicate_entries_across_pages_are_one_paper(settings, tmp_path: Path) -> None:
    page = tmp_path / "p.txt"
    page.write_text("Daily Papers\nSame Paper\nAbstract one.\n  • 3 authors\n·\nJan 2, 2024 7\n")
    copy = tmp_path / "q.txt"
    copy.write_text("Daily Papers\nSame  Paper\nAbstract one.\n  • 3 authors\n·\nJan 2, 2024 7\n")
    report = import_paths(settings, [page, copy])
    assert (report.added, report.skipped) == (1, 1)
