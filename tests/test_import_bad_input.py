"""Bad input, crashes and reruns: clear messages, nothing half-written, idempotent imports."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from sqlalchemy import func, select

import dailypapers.ingest.runner as runner
from dailypapers.ingest.arxiv_jsonl import arxiv_entry
from dailypapers.ingest.hf_daily import parse_hf_daily
from dailypapers.ingest.pages import parse_pages
from dailypapers.ingest.runner import ImportFailed, import_paths
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperAuthor
from dailypapers.store.records import title_id


def _line(i: int, **extra: object) -> str:
    row = {"id": f"2501.{i:05d}", "title": f"Paper number {i}", "abstract": f"Abstract {i}.",
           "authors": [f"Author {i}", "Second Author"], "categories": ["cs.LG"],
           "first_listing_date": "2025-01-15", **extra}  # fmt: skip
    return json.dumps(row)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _counts(settings) -> tuple[int, int, int]:
    with db.session_scope(settings) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t))
            for t in (Paper, FeedEntry, PaperAuthor)
        )


def _dump(settings) -> list[tuple]:
    with db.session_scope(settings) as session:
        papers = session.execute(select(Paper.__table__).order_by(Paper.id)).all()
        feed = session.execute(select(FeedEntry.__table__).order_by(FeedEntry.paper_id)).all()
        return [tuple(r) for r in papers] + [tuple(r) for r in feed]


def test_malformed_json_line_is_reported_with_file_and_line(settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", [_line(1), '{"id": "2501.00002", "title": ', _line(3),
                                         "[1, 2]", _line(5, title="")])  # fmt: skip
    report = import_paths(settings, [path])
    assert report.added == 2
    assert [(e.line, str(e)) for e in report.errors][:1] == [
        (2, f"{path}:2: not valid JSON (unexpected end of data)")
    ]
    assert [e.line for e in report.errors] == [2, 4, 5]
    assert "no title" in report.errors[2].message
    assert _counts(settings) == (2, 2, 4)


def test_strict_stops_at_the_first_bad_entry(settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", [_line(1), _line(2), "not json", _line(4)])
    other = _write(tmp_path / "y.jsonl", [_line(9)])
    report = import_paths(settings, [path, other], strict=True)
    assert report.stopped and [e.line for e in report.errors] == [3]
    assert report.files == 1
    # the entries before the bad one are whole and kept; nothing after it is read
    assert _counts(settings)[0] == 2


def test_truncated_gzip_keeps_the_complete_entries(settings, tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(_line(i) for i in range(400)) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    report = import_paths(settings, [path])
    assert len(report.errors) == 1
    assert "truncated or corrupt" in report.errors[0].message
    assert 0 < report.added < 400
    assert report.errors[0].line == report.added + 1
    assert _counts(settings) == (report.added, report.added, 2 * report.added)


def test_truncated_hf_list_and_bad_entries(settings, tmp_path: Path) -> None:
    good = {"paper": {"id": "2502.00001", "summary": "S", "publishedAt": "2025-02-13T00:00:00Z"},
            "title": "Fine", "publishedAt": "2025-02-13T00:00:00Z"}  # fmt: skip
    path = tmp_path / "d.json"
    path.write_text("[\n" + json.dumps(good) + ",\n" + '"just a string",\n' + '{"paper": {"id"')
    report = import_paths(settings, [path])
    assert report.added == 1
    assert [(e.line, e.message.split(" (")[0]) for e in report.errors] == [
        (3, "expected a JSON object"), (4, "not valid JSON"),
    ]  # fmt: skip


def test_script_title_is_stored_verbatim_and_escaped_on_pages(
    settings, client, tmp_path: Path
) -> None:
    title = '<script>alert("x")</script> & Friends'
    page = _write(tmp_path / "p.txt", ["Daily Papers", title, "<b>bold</b> abstract",
                                       "  • 2 authors", "·", "Jan 2, 2025 3"])  # fmt: skip
    import_paths(settings, [page])
    with db.session_scope(settings) as session:
        paper = session.get(Paper, title_id(title))
        assert paper is not None and paper.title == title
        assert paper.abstract == "<b>bold</b> abstract"
    html = client.get(f"/papers/{paper.id}").text
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>bold</b>" not in html


def test_crash_in_a_batch_loses_nothing_and_reports_the_culprit(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "x.jsonl", [_line(i) for i in range(25)])
    real = runner.upsert_records

    def faulty(session, records):
        half = len(records) // 2
        stats = real(session, records[:half])  # half the batch is written...
        if any(r.title == "Paper number 12" for r in records):
            raise RuntimeError("injected fault")  # ...then the database refuses the rest
        stats += real(session, records[half:])
        return stats

    monkeypatch.setattr(runner, "upsert_records", faulty)
    report = import_paths(settings, [path], batch_size=10)
    assert [(e.line, e.message) for e in report.errors] == [
        (13, "database refused the entry: injected fault")
    ]
    assert report.added == 24
    assert _counts(settings) == (24, 24, 48)  # no half-written paper, feed entry or author


def test_interrupted_import_resumes_on_rerun(settings, tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path / "x.jsonl", [_line(i) for i in range(35)])
    real, calls = runner.upsert_records, []

    def dies_in_third_batch(session, records):
        calls.append(len(records))
        stats = real(session, records)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process is stopped after writing, before commit
        return stats

    monkeypatch.setattr(runner, "upsert_records", dies_in_third_batch)
    with pytest.raises(KeyboardInterrupt):
        import_paths(settings, [path], batch_size=10)
    assert _counts(settings) == (20, 20, 40)  # two whole batches, the third rolled back
    monkeypatch.setattr(runner, "upsert_records", real)
    report = import_paths(settings, [path], batch_size=10)
    assert (report.added, report.skipped, report.errors) == (15, 20, [])
    assert _counts(settings) == (35, 35, 70)


def test_importing_twice_changes_nothing(settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", [_line(i) for i in range(30)])
    import_paths(settings, [path], batch_size=7)
    before = _dump(settings)
    report = import_paths(settings, [path], batch_size=7)
    assert (report.added, report.updated, report.skipped) == (0, 0, 30)
    assert _dump(settings) == before


def test_changed_entry_updates(settings, tmp_path: Path) -> None:
    import_paths(settings, [_write(tmp_path / "a.jsonl", [_line(1)])])
    report = import_paths(settings, [_write(tmp_path / "b.jsonl", [_line(1, abstract="New.")])])
    assert (report.added, report.updated) == (0, 1)
    with db.session_scope(settings) as session:
        assert session.get(Paper, "2501.00001").abstract == "New."


def test_nul_characters_and_oversized_fields(settings, tmp_path: Path) -> None:
    hf = tmp_path / "d.json"
    hf.write_text(json.dumps([
        {"paper": {"id": "2502.00001", "summary": "a\u0000b"}, "title": "Nul\u0000 title",
         "publishedAt": "2025-02-13T00:00:00Z"},
        {"paper": {"id": "2502.00002"}, "title": "Org", "organization": {"fullname": "x" * 300},
         "publishedAt": "2025-02-13T00:00:00Z"},
    ]))  # fmt: skip
    report = import_paths(settings, [hf])
    assert report.added == 1
    assert [e.message for e in report.errors] == ["organization longer than 200 characters"]
    with db.session_scope(settings) as session:
        paper = session.get(Paper, "2502.00001")
        assert (paper.title, paper.abstract) == ("Nul title", "ab")


def test_missing_file_and_unknown_format(settings, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no such file"):
        import_paths(settings, [tmp_path / "nope.jsonl"])
    csv = _write(tmp_path / "x.csv", ["id,title", "1,A"])
    with pytest.raises(ImportFailed, match="cannot tell the format"):
        import_paths(settings, [csv])
    with pytest.raises(ImportFailed, match="unknown format"):
        import_paths(settings, [csv], fmt="csv")
    assert _counts(settings) == (0, 0, 0)


def test_page_with_unreadable_date_resyncs(settings, tmp_path: Path) -> None:
    page = _write(tmp_path / "p.txt", [
        "Daily Papers", "First", "Abstract one.", "  • 2 authors", "·", "Someday",
        "Second", "Abstract two.", "  • 3 authors", "·", "Feb 30, 2024", "Third", "Abstract 3.",
        "  • 1 authors", "·", "Mar 1, 2024 2",
    ])  # fmt: skip
    report = import_paths(settings, [page])
    assert [(e.line, e.message.split(" '")[0]) for e in report.errors] == [
        (5, "byline"), (11, "no such date"),
    ]  # fmt: skip
    assert report.added == 2  # "Someday" is read as the next title; "Third" is intact
    with db.session_scope(settings) as session:
        third = session.get(Paper, title_id("Third"))
        assert third is not None and third.author_count == 1 and third.upvotes == 2


def test_folder_passes_over_files_of_unknown_format(settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder / "a.jsonl", [_line(1)])
    _write(folder / "README.md", ["# Notes", "About the pages of this folder.", "·"])
    report = import_paths(settings, [folder])
    assert report.added == 1 and report.files == 1
    assert report.warnings == [f"passed over {folder / 'README.md'}: cannot tell the format; "
                               "pass --format pages|arxiv-jsonl|hf-daily"]  # fmt: skip


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = ("id", "title", "abstract", "authors", "authors_parsed", "categories", "versions",
           "first_listing_date", "update_date", "comment", "paper", "summary", "publishedAt",
           "organization", "submittedBy", "numComments", "upvotes")  # fmt: skip
_LINES = st.sampled_from([
    "·", "  • 3 authors", "apple Apple", "Jul 21, 2023 1", "May 5", "Subscribe", "Daily Papers",
    "Feb 30", "A title", "Abstract.",
])  # fmt: skip


@settings_(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=8))
def test_any_json_object_gives_a_record_or_a_reason(obj: dict) -> None:
    for entry in (arxiv_entry(1, obj), *parse_hf_daily(json.dumps([obj]))):
        assert (entry.record is None) != (entry.error is None)


@settings_(max_examples=300, deadline=None)
@given(st.lists(_LINES | st.text(max_size=30), max_size=20))
def test_any_page_text_gives_records_or_reasons(lines: list[str]) -> None:
    for entry in parse_pages(lines):
        assert (entry.record is None) != (entry.error is None)
        assert entry.line >= 1
