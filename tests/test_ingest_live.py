"""Live ingestion runs (arXiv categories, HF daily papers) against a real local upstream."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dailypapers.ingest import cursors, live
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperAuthor
from tests.ingest_fixtures import UPSTREAM, cli_env, ingest_settings, upstream, wait_for  # noqa: F401

LG_IDS = {"2611.09876", "2611.09001", "2611.08555", "2611.07777", "2611.06666"}
CL_IDS = {"2611.09001", "2611.08123"}
CLI = "from dailypapers.cli.main import main; main()"


def _papers(settings) -> dict[str, Paper]:
    with db.session_scope(settings) as s:
        return {p.id: p for p in s.scalars(select(Paper))}


def _counts(settings) -> tuple[int, int, int]:
    with db.session_scope(settings) as s:
        return (
            s.scalar(select(func.count()).select_from(Paper)),
            s.scalar(select(func.count()).select_from(FeedEntry)),
            s.scalar(select(func.count()).select_from(PaperAuthor)),
        )


def test_arxiv_run_pages_through_categories(ingest_settings, upstream) -> None:  # noqa: F811
    results = live.run(ingest_settings, ["arxiv"])
    assert [(r.key, r.added, r.pages, r.error) for r in results] == [
        ("cs.LG", 5, 2, None),
        ("cs.CL", 1, 1, None),  # 2611.09001 is cross-listed: already stored, unchanged
    ]
    papers = _papers(ingest_settings)
    assert set(papers) == LG_IDS | CL_IDS
    pruning = papers["2611.06666"]
    assert pruning.version == 3 and pruning.published_on == dt.date(2026, 11, 2)
    assert pruning.authors == ["Grace Hopper-Lee", "Samuel Okafor"]
    assert papers["2611.07777"].primary_category == "cs.CR"
    assert [h.query["start"] for h in upstream.hits("cat:cs.LG")] == ["0", "3"]
    state = cursors.read(ingest_settings, "arxiv", "cs.LG")
    assert state == {"watermark": "2026-11-21T18:20:11", "run": None}


def test_second_run_adds_nothing(ingest_settings, upstream) -> None:  # noqa: F811
    live.run(ingest_settings, ["arxiv", "hf"], day=dt.date(2026, 11, 21))
    before = _counts(ingest_settings)
    calls = len(upstream.requests)
    again = live.run(ingest_settings, ["arxiv", "hf"], day=dt.date(2026, 11, 21))
    assert [(r.added, r.updated, r.error) for r in again] == [(0, 0, None)] * 3
    assert _counts(ingest_settings) == before
    # the watermark stops each category on its first page
    assert len(upstream.requests) - calls == 3


def test_new_papers_on_top_are_picked_up(ingest_settings, upstream, tmp_path: Path) -> None:  # noqa: F811
    live.run(ingest_settings, ["arxiv"], categories=["cs.CL"])
    newer = (UPSTREAM / "arxiv" / "cs.CL_0.xml").read_text()
    newer = newer.replace("2611.08123v1", "2611.08123v2").replace(
        "<updated>2026-11-20T07:00:00-05:00", "<updated>2026-11-22T03:00:00-05:00"
    )
    (tmp_path / "arxiv").mkdir()
    (tmp_path / "arxiv" / "cs.CL_0.xml").write_text(newer)
    upstream.root = tmp_path
    [result] = live.run(ingest_settings, ["arxiv"], categories=["cs.CL"])
    assert (result.added, result.updated) == (0, 1)
    paper = _papers(ingest_settings)["2611.08123"]
    assert paper.version == 2 and paper.updated_on == dt.date(2026, 11, 22)


def test_truncated_page_writes_nothing_and_other_sources_go_on(ingest_settings, upstream) -> None:  # noqa: F811
    truncated = (UPSTREAM / "arxiv" / "cs.LG_3.xml").read_bytes()[:900]
    upstream.fail("start=3", 200, body=truncated)
    results = live.run(ingest_settings, ["arxiv", "hf"], day=dt.date(2026, 11, 21))
    lg, cl, hf = results
    assert lg.error and "start=3" in lg.error and "malformed Atom XML" in lg.error
    assert lg.error.startswith(f"{upstream.url}/api/query?")
    assert (lg.added, cl.error, cl.added, hf.error, hf.added) == (3, None, 1, None, 1)
    papers = _papers(ingest_settings)
    assert "2611.07777" not in papers and "2611.06666" not in papers  # nothing of page 2
    status = {(s.source, s.key): s for s in cursors.status(ingest_settings)}
    assert "malformed Atom XML" in status["arxiv", "cs.LG"].last_error
    assert status["arxiv", "cs.LG"].cursor["run"]["start"] == 3
    assert status["arxiv", "cs.CL"].last_error is None
    # the next run resumes at the failed page, then finishes and clears the error
    [again] = live.run(ingest_settings, ["arxiv"], categories=["cs.LG"])
    assert (again.added, again.pages, again.error) == (2, 1, None)
    # page 1 once; page 2 asked by the killed run (answered after the kill) and the rerun
    assert [h.query["start"] for h in upstream.hits("cat:cs.LG")] == ["0", "3", "3"]
    status = {(s.source, s.key): s for s in cursors.status(ingest_settings)}
    assert status["arxiv", "cs.LG"].last_error is None
    assert status["arxiv", "cs.LG"].added == 5  # the resumed run counts as one run


def test_spurious_empty_page_is_retried(ingest_settings, upstream) -> None:  # noqa: F811
    from tests.ingest_fixtures import EMPTY_FEED

    upstream.fail("start=3", 200, body=EMPTY_FEED.format(total=5, start=3).encode())
    [result] = live.run(ingest_settings, ["arxiv"], categories=["cs.LG"])
    assert (result.added, result.error) == (5, None)
    assert [h.query["start"] for h in upstream.hits("cat:cs.LG")] == ["0", "3", "3"]


def test_a_source_that_keeps_failing(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("daily_papers", 500, times=20)
    arxiv_lg, arxiv_cl, hf = live.run(ingest_settings, ["arxiv", "hf"], day=dt.date(2026, 11, 21))
    assert "HTTP 500 (gave up after 4 attempts)" in hf.error
    assert (arxiv_lg.added, arxiv_cl.added) == (5, 1)


def test_hf_merges_onto_the_arxiv_record(ingest_settings, upstream) -> None:  # noqa: F811
    live.run(ingest_settings, ["arxiv"])
    [hf] = live.run(ingest_settings, ["hf"], day=dt.date(2026, 11, 21))
    assert (hf.added, hf.updated, hf.error) == (1, 1, None)
    assert upstream.hits("daily_papers?date=2026-11-21")
    papers = _papers(ingest_settings)
    assert len(papers) == 7  # six from arXiv, one HF-only: one record per paper
    merged = papers["2611.09001"]
    assert (merged.upvotes_external, merged.upvotes, merged.num_comments) == (42, 42, 3)
    assert merged.organization == "Acme AI"
    assert merged.github_repo == "https://github.com/acme-ai/preference-noise"
    assert merged.github_stars == 128
    assert merged.project_page == "https://acme-ai.github.io/preference-noise/"
    # what arXiv knows stays: categories, version, PDF link
    assert merged.categories == ["cs.LG", "cs.CL"] and merged.pdf_url.endswith("09001v1")
    with db.session_scope(ingest_settings) as s:
        entry = s.get(FeedEntry, "2611.09001")
        assert entry.feed_date == dt.date(2026, 11, 21) and entry.submitter_name == "akhaliq"
    assert cursors.read(ingest_settings, "hf", "daily") == {"last_date": "2026-11-21", "run": None}


def _big_hf_day(folder: Path, count: int) -> None:
    template = json.loads((UPSTREAM / "hf" / "2026-11-21.json").read_text())[1]
    entries = []
    for n in range(count):
        entry = json.loads(json.dumps(template))
        entry["paper"]["id"] = f"2611.2{n:04d}"
        entry["title"] = entry["paper"]["title"] = f"World Models from Video, Part {n}"
        entries.append(entry)
    (folder / "hf").mkdir()
    (folder / "hf" / "2026-11-20.json").write_text(json.dumps(entries, indent=1))


def test_hf_pages_through_a_big_day_and_resumes(ingest_settings, upstream, tmp_path) -> None:  # noqa: F811
    _big_hf_day(tmp_path, 230)
    upstream.root = tmp_path
    upstream.fail("p=2", 503, times=4)  # every attempt of the first run
    [failed] = live.run(ingest_settings, ["hf"], day=dt.date(2026, 11, 20))
    assert (failed.added, failed.pages) == (200, 2) and "HTTP 503" in failed.error
    run = cursors.read(ingest_settings, "hf", "daily")["run"]
    assert run == {"date": "2026-11-20", "page": 2}
    [resumed] = live.run(ingest_settings, ["hf"], day=dt.date(2026, 11, 20))
    assert (resumed.added, resumed.pages, resumed.error) == (30, 1, None)
    assert _counts(ingest_settings)[0] == 230
    assert [h.query["p"] for h in upstream.hits("daily_papers") if h.status == 200] == [
        "0", "1", "2",
    ]  # fmt: skip


def test_hf_first_then_arxiv_settles(ingest_settings, upstream) -> None:  # noqa: F811
    day = dt.date(2026, 11, 21)
    [hf] = live.run(ingest_settings, ["hf"], day=day)
    assert hf.added == 2
    lg, cl = live.run(ingest_settings, ["arxiv"])
    assert (lg.added, lg.updated, cl.added) == (4, 1, 1)  # arXiv completes the HF record
    merged = _papers(ingest_settings)["2611.09001"]
    assert merged.categories == ["cs.LG", "cs.CL"] and merged.upvotes_external == 42
    again = live.run(ingest_settings, ["hf", "arxiv"], day=day)
    assert [(r.added, r.updated) for r in again] == [(0, 0)] * 3  # no flip-flop between sources


def test_hf_malformed_json_fails_that_day_only(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("date=2026-11-20", 200, body=b'[{"paper": {"id": "2611.1')
    [hf] = live.run(ingest_settings, ["hf"], since=dt.date(2026, 11, 20))
    assert "date=2026-11-20" in hf.error and "malformed JSON" in hf.error
    assert _counts(ingest_settings)[0] == 0
    [hf] = live.run(ingest_settings, ["hf"], since=dt.date(2026, 11, 20))
    assert hf.error is None and hf.added == 2


def test_kill_and_resume(ingest_settings, upstream) -> None:  # noqa: F811
    """SIGKILL a real ``dailypapers ingest run`` while it waits for page 2, then run again."""
    release = upstream.hold("start=3")
    cmd = [sys.executable, "-c", CLI, "ingest", "run", "--source", "arxiv"]
    proc = subprocess.Popen(cmd, env=cli_env(ingest_settings), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_for(lambda: upstream.waiting or proc.poll() is not None)
        assert proc.poll() is None, proc.stdout.read().decode()
        assert cursors.read(ingest_settings, "arxiv", "cs.LG")["run"]["start"] == 3
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert set(_papers(ingest_settings)) == {"2611.09876", "2611.09001", "2611.08555"}
    results = live.run(ingest_settings, ["arxiv"])
    assert [(r.key, r.added, r.error) for r in results] == [("cs.LG", 2, None), ("cs.CL", 1, None)]
    assert set(_papers(ingest_settings)) == LG_IDS | CL_IDS
    assert _counts(ingest_settings) == (6, 6, 10)
    # page 1 once; page 2 asked by the killed run (answered after the kill) and the rerun
    assert [h.query["start"] for h in upstream.hits("cat:cs.LG")] == ["0", "3", "3"]


def test_dry_run_stores_nothing(ingest_settings, upstream) -> None:  # noqa: F811
    results = live.run(ingest_settings, ["arxiv", "hf"], day=dt.date(2026, 11, 21), dry_run=True)
    assert [(r.key, r.added, r.error) for r in results] == [
        ("cs.LG", 5, None),
        ("cs.CL", 2, None),  # the cross-listed paper counts again: nothing was stored
        ("daily", 2, None),
    ]
    assert _counts(ingest_settings) == (0, 0, 0)
    assert cursors.status(ingest_settings) == []


@pytest.mark.slow
def test_new_papers_are_indexed_for_search(ingest_settings, upstream) -> None:  # noqa: F811
    """With embed_on_import, each stored page goes to the real search indexer."""
    from dailypapers.store.models import PaperVector

    settings = ingest_settings.model_copy(update={"embed_on_import": True})
    live.run(settings, ["arxiv"])
    with db.session_scope(settings) as s:
        embedded = set(s.scalars(select(PaperVector.paper_id)))
    assert embedded == LG_IDS | CL_IDS


def test_polite_delay_between_all_calls(ingest_settings, upstream) -> None:  # noqa: F811
    settings = ingest_settings.model_copy(update={"arxiv_delay_seconds": 0.5})
    live.run(settings, ["arxiv"])
    times = [r.at for r in upstream.requests]
    assert len(times) == 3  # cs.LG twice, then cs.CL: the pause holds across categories too
    # seen from the server, so allow for scheduling jitter on a busy machine
    assert all(b - a >= 0.35 for a, b in itertools.pairwise(times))
