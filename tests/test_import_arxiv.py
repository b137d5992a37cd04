"""Importing arXiv metadata JSON lines: the corpus shape and the arXiv metadata snapshot shape."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dailypapers.ingest.arxiv_jsonl import parse_arxiv_jsonl
from dailypapers.ingest.runner import detect_format, import_paths
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperAuthor
from tests.conftest import CORPUS_74K

CORPUS_LINE = {
    "id": "2503.11731", "title": "Industrial-Grade Sensor Simulation via Gaussian Splatting",
    "abstract": "Sensor simulation is pivotal for scalable validation of autonomous driving\n"
                "systems.", "authors": ["Xianming Zeng", "Sicong Du"],
    "categories": ["cs.CV", "cs.RO"], "first_listing_date": "2025-03-18", "comment": None,
}  # fmt: skip
SNAPSHOT_LINE = {
    "id": "0704.0001", "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections at Tevatron and\n"
             "  LHC energies",
    "comments": "37 pages, 15 figures", "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009", "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph", "license": None,
    "abstract": "  A fully differential calculation in perturbative quantum chromodynamics is\n"
                "presented for the production of massive photon pairs at hadron colliders.\n",
    "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
                 {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"}],
    "update_date": "2008-11-13",
    "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""],
                       ["Nadolsky", "P. M.", ""], ["Yuan", "C. -P.", ""]],
}  # fmt: skip


def write_jsonl(path: Path, rows: list[dict], compress: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    return path


def _get(settings, pid: str) -> Paper:
    with db.session_scope(settings) as session:
        paper = session.get(Paper, pid)
        assert paper is not None
        return paper


def _feed(settings, pid: str) -> dt.date | None:
    with db.session_scope(settings) as session:
        return session.scalar(select(FeedEntry.feed_date).where(FeedEntry.paper_id == pid))


def test_corpus_shape(settings, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [CORPUS_LINE])
    assert detect_format(path) == "arxiv-jsonl"
    report = import_paths(settings, [path])
    assert (report.added, report.errors) == (1, [])
    paper = _get(settings, "2503.11731")
    assert paper.authors == ["Xianming Zeng", "Sicong Du"] and paper.author_count == 2
    assert paper.categories == ["cs.CV", "cs.RO"] and paper.primary_category == "cs.CV"
    assert paper.published_on == dt.date(2025, 3, 18)
    assert _feed(settings, "2503.11731") == dt.date(2025, 3, 18)
    with db.session_scope(settings) as session:
        names = session.scalars(select(PaperAuthor.name).order_by(PaperAuthor.position)).all()
    assert names == ["Xianming Zeng", "Sicong Du"]


def test_snapshot_shape_with_authors_parsed(settings, tmp_path: Path) -> None:
    import_paths(settings, [write_jsonl(tmp_path / "s.jsonl", [SNAPSHOT_LINE])])
    paper = _get(settings, "0704.0001")
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper.title.startswith("Calculation of prompt diphoton production cross sections at")
    assert "\n" not in paper.title
    assert paper.categories == ["hep-ph"]
    assert paper.version == 2
    assert paper.published_on == dt.date(2007, 4, 2)
    assert paper.updated_on == dt.date(2008, 11, 13)
    assert paper.comment == "37 pages, 15 figures"
    # no first_listing_date: the feed date is the first version's date
    assert _feed(settings, "0704.0001") == dt.date(2007, 4, 2)


def test_snapshot_author_string_with_tex_accents() -> None:
    row = {k: v for k, v in SNAPSHOT_LINE.items() if k != "authors_parsed"}
    row["authors"] = "C. Bal\\'azs, J. M{\\\"u}ller and Fran\\c{c}ois Roy"
    record = next(iter(parse_arxiv_jsonl([json.dumps(row)]))).record
    assert record is not None
    assert record.authors == ["C. Balázs", "J. Müller", "François Roy"]


def test_old_style_ids_and_msc_classes_dropped(settings, tmp_path: Path) -> None:
    row = {**CORPUS_LINE, "id": "math/0701001v3",
           "categories": ["math.CO", "cs.DM", "05C35, 05C15", "G.2.2; F.2"]}  # fmt: skip
    import_paths(settings, [write_jsonl(tmp_path / "o.jsonl", [row])])
    paper = _get(settings, "math/0701001")
    assert paper.categories == ["math.CO", "cs.DM"] and paper.version == 3


def test_gzip_read_transparently_whatever_the_name(settings, tmp_path: Path) -> None:
    rows = [{**CORPUS_LINE, "id": f"2503.{10000 + i}", "title": f"Paper {i}"} for i in range(5)]
    named = write_jsonl(tmp_path / "a.jsonl.gz", rows, compress=True)
    other = {**rows[0], "id": "2503.20000", "title": "Other"}
    unnamed = write_jsonl(tmp_path / "b.data", [*rows[:2], other], compress=True)
    report = import_paths(settings, [named, unnamed])
    assert (report.added, report.skipped, report.errors) == (6, 2, [])


def test_newer_version_updates_older_does_not(settings, tmp_path: Path) -> None:
    v1 = {**SNAPSHOT_LINE, "versions": SNAPSHOT_LINE["versions"][:1], "title": "Old title"}
    import_paths(settings, [write_jsonl(tmp_path / "v1.jsonl", [v1])])
    assert _get(settings, "0704.0001").version == 1
    report = import_paths(settings, [write_jsonl(tmp_path / "v2.jsonl", [SNAPSHOT_LINE])])
    assert (report.added, report.updated) == (0, 1)
    assert _get(settings, "0704.0001").title.startswith("Calculation of prompt")
    report = import_paths(settings, [write_jsonl(tmp_path / "v1b.jsonl", [v1])])
    assert (report.updated, report.skipped) == (0, 1)
    assert _get(settings, "0704.0001").version == 2


def test_parsing_is_a_stream() -> None:
    """Entries come out as lines go in: a huge snapshot never sits in memory at once."""
    endless = (json.dumps({**CORPUS_LINE, "id": f"2503.{i:05d}"}) for i in itertools.count())
    first = list(itertools.islice(parse_arxiv_jsonl(endless), 3))
    assert [e.record.arxiv_id for e in first] == ["2503.00000", "2503.00001", "2503.00002"]


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_74K.exists(), reason="../shared corpus missing")
def test_the_74k_corpus_imports(settings) -> None:
    report = import_paths(settings, [CORPUS_74K], batch_size=2000)
    assert report.errors == []
    assert report.added == 74_728
    with db.session_scope(settings) as session:
        days = session.execute(
            select(FeedEntry.feed_date, func.count()).group_by(FeedEntry.feed_date)
        ).all()
    assert sum(n for _, n in days) == 74_728
    assert min(d for d, _ in days) == dt.date(2025, 3, 18)
    assert max(d for d, _ in days) == dt.date(2026, 7, 1)
    assert 200 <= 74_728 / len(days) <= 400  # a realistic feed of about 300 papers a day


def test_embed_on_import_indexes_each_committed_batch(settings, tmp_path: Path) -> None:
    from dailypapers.store.models import PaperVector

    rows = [{**CORPUS_LINE, "id": f"2503.{20000 + i}", "title": f"Gaussian splatting {i}"}
            for i in range(3)]  # fmt: skip
    embedding = settings.model_copy(update={"embed_on_import": True})
    report = import_paths(embedding, [write_jsonl(tmp_path / "e.jsonl", rows)], batch_size=2)
    assert report.warnings == [] and report.added == 3
    with db.session_scope(settings) as session:
        ids = session.scalars(
            select(PaperVector.paper_id).distinct().order_by(PaperVector.paper_id)
        ).all()
    assert ids == ["2503.20000", "2503.20001", "2503.20002"]
