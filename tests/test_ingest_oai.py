"""OAI-PMH backfill: ListRecords with resumption tokens against a real local server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dailypapers.ingest import cursors, live, oai
from dailypapers.ingest.http import UpstreamFormatError
from dailypapers.store import db
from dailypapers.store.models import Paper
from tests.ingest_fixtures import UPSTREAM, ingest_settings, upstream  # noqa: F401

SINCE = dt.date(2026, 11, 1)


def _papers(settings) -> dict[str, Paper]:
    with db.session_scope(settings) as s:
        return {p.id: p for p in s.scalars(select(Paper))}


def test_parse_records_and_token() -> None:
    page = oai.parse_list_records((UPSTREAM / "oai" / "first.xml").read_bytes(), "u")
    assert page.token == "7130411|1001"
    pruning, compiler = page.records  # the deleted record is skipped
    assert pruning.arxiv_id == "2611.06666" and pruning.version is None
    assert pruning.published_on == dt.date(2026, 11, 2)
    assert pruning.updated_on == dt.date(2026, 11, 19)
    assert pruning.authors == ["Grace Hopper-Lee", "Samuel Okafor"]
    assert compiler.authors == ["Maria Santos", "Martin Luther King Jr"]
    assert compiler.title == "Verified Compilation of Probabilistic Programs"
    assert compiler.categories == ["cs.PL", "cs.LO"]
    last = oai.parse_list_records((UPSTREAM / "oai" / "token-7130411_1001.xml").read_bytes(), "u")
    assert last.token is None and last.records[0].arxiv_id == "2611.02222"
    none = oai.parse_list_records((UPSTREAM / "oai" / "no_records.xml").read_bytes(), "u")
    assert none.records == [] and none.token is None


def test_malformed_answer_names_the_url() -> None:
    content = (UPSTREAM / "oai" / "first.xml").read_bytes()[:700]
    with pytest.raises(UpstreamFormatError, match=r"^http://h/oai\?verb=ListRecords: malformed"):
        oai.parse_list_records(content, "http://h/oai?verb=ListRecords")


def test_backfill_follows_tokens_and_keeps_followed_categories(ingest_settings, upstream) -> None:  # noqa: F811
    [result] = live.run(ingest_settings, ["oai"], since=SINCE)
    assert (result.added, result.pages, result.error) == (2, 2, None)
    assert set(_papers(ingest_settings)) == {"2611.06666", "2611.02222"}  # cs.PL is not followed
    assert upstream.hits("resumptionToken=7130411|1001")
    state = cursors.read(ingest_settings, "oai", "cs")
    assert state["run"] is None and state["through"]
    # the next harvest starts from the day this one ran: nothing new there
    [again] = live.run(ingest_settings, ["oai"])
    assert (again.added, again.updated, again.error) == (0, 0, None)
    assert upstream.requests[-1].query["from"] == state["through"]


def test_backfill_merges_with_the_api_record(ingest_settings, upstream) -> None:  # noqa: F811
    live.run(ingest_settings, ["arxiv"])
    [result] = live.run(ingest_settings, ["oai"], since=SINCE)
    assert (result.added, result.updated) == (1, 0)  # 2611.06666 is known and unchanged
    paper = _papers(ingest_settings)["2611.06666"]
    assert paper.version == 3 and paper.pdf_url.endswith("06666v3")


def test_killed_harvest_resumes_and_expired_token_restarts(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("resumptionToken", 200, body=b"<OAI-PMH xmlns=")
    [failed] = live.run(ingest_settings, ["oai"], since=SINCE)
    assert "malformed OAI-PMH XML" in failed.error and failed.added == 1
    state = cursors.read(ingest_settings, "oai", "cs")
    assert state["run"]["token"] == "7130411|1001"
    [resumed] = live.run(ingest_settings, ["oai"])  # continues with the saved token
    assert (resumed.added, resumed.pages, resumed.error) == (1, 1, None)
    # a saved token that expired meanwhile: the harvest starts over from its date, once
    state["run"] = {**state["run"], "token": "expired|1"}
    cursors.commit_page(ingest_settings, "oai", "cs", [], state)
    [again] = live.run(ingest_settings, ["oai"])
    assert (again.added, again.error) == (0, None)
    assert upstream.hits("resumptionToken=expired|1")
    assert upstream.requests[-2].query == {
        "verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2026-11-01",
    }  # fmt: skip


def test_a_bad_token_mid_harvest_is_an_error(ingest_settings, upstream) -> None:  # noqa: F811
    from tests.ingest_fixtures import OAI_BAD_TOKEN

    upstream.fail("resumptionToken", 200, body=OAI_BAD_TOKEN)
    [result] = live.run(ingest_settings, ["oai"], since=SINCE)
    assert "OAI-PMH error badResumptionToken" in result.error
    assert len(upstream.hits("/oai")) == 2  # no restart loop
