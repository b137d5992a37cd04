"""Importing the JSON of Hugging Face's ``/api/daily_papers`` (fixture in the real format)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from dailypapers.ingest.hf_daily import hf_daily_record, parse_hf_daily
from dailypapers.ingest.runner import detect_format, import_paths
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper

FIXTURE = Path(__file__).parent / "fixtures" / "hf_daily_papers.json"


def _rows(settings) -> dict[str, tuple[Paper, FeedEntry]]:
    with db.session_scope(settings) as session:
        rows = session.execute(select(Paper, FeedEntry).join(FeedEntry)).all()
        return {paper.id: (paper, entry) for paper, entry in rows}


def test_daily_papers_list_imports_every_field(settings) -> None:
    assert detect_format(FIXTURE) == "hf-daily"
    report = import_paths(settings, [FIXTURE])
    assert (report.added, report.errors) == (3, [])
    rows = _rows(settings)
    paper, entry = rows["2502.08910"]
    assert paper.title.startswith("InfiniteHiP: Extending Language Model Context")
    assert paper.authors == ["Heejun Lee", "Geon Park", "Jaduk Suh", "Sung Ju Hwang"]
    assert paper.abstract.startswith("In modern large language models (LLMs)")
    assert (paper.upvotes, paper.num_comments) == (139, 5)
    assert paper.organization == "DeepAuto.ai"
    assert paper.github_repo == "https://github.com/DeepAuto-AI/hip-attention"
    assert paper.github_stars == 812
    assert paper.project_page == "https://huggingface.co/spaces/DeepAuto-AI/demo"
    assert paper.published_on == dt.date(2025, 2, 13)
    assert entry.feed_date == dt.date(2025, 2, 14)  # the day it entered the daily list
    assert entry.submitter_name == "gmlwns5176"


def test_hidden_authors_and_paper_level_organization(settings) -> None:
    import_paths(settings, [FIXTURE])
    rows = _rows(settings)
    assert rows["2502.09056"][0].authors == ["Yuxuan Zhang"]
    assert rows["2502.09056"][0].organization is None
    assert rows["2502.09056"][1].submitter_name == "akhaliq"
    assert rows["2502.07374"][0].organization == "UC Berkeley"


def test_list_entries_keep_their_line_numbers() -> None:
    text = FIXTURE.read_text()
    lines = [e.line for e in parse_hf_daily(text)]
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("  {")]
    assert lines == starts


def test_json_lines_and_bare_paper_objects(settings, tmp_path: Path) -> None:
    items = json.loads(FIXTURE.read_text())
    lines = tmp_path / "daily.jsonl"
    lines.write_text("\n".join(json.dumps(i) for i in items[:2]) + "\n")
    assert detect_format(lines) == "hf-daily"
    bare = {**items[2]["paper"]}  # the /api/papers/{id} shape: no "paper" wrapper
    record = hf_daily_record(bare)
    assert record.arxiv_id == "2502.07374" and record.feed_date == dt.date(2025, 2, 13)
    report = import_paths(settings, [lines])
    assert (report.added, report.errors) == (2, [])


def test_hf_merges_onto_an_arxiv_record(settings, tmp_path: Path) -> None:
    arxiv = tmp_path / "a.jsonl"
    arxiv.write_text(json.dumps({
        "id": "2502.08910", "title": "InfiniteHiP: Extending Language Model Context Up to 3 "
        "Million Tokens on a Single GPU", "abstract": "In modern large language models...",
        "authors": ["Heejun Lee"], "categories": ["cs.CL"], "first_listing_date": "2025-02-13",
    }) + "\n")  # fmt: skip
    import_paths(settings, [arxiv])
    report = import_paths(settings, [FIXTURE])
    assert (report.added, report.updated) == (2, 1)
    paper, entry = _rows(settings)["2502.08910"]
    assert paper.categories == ["cs.CL"] and paper.upvotes == 139
    assert entry.feed_date == dt.date(2025, 2, 13)  # a paper enters the feed once
