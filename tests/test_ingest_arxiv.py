"""The arXiv API client, its Atom parser and the retrying HTTP layer, on a real local server."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.ingest import arxiv_api, http
from dailypapers.ingest.http import UpstreamError, UpstreamFormatError
from tests.ingest_fixtures import UPSTREAM, ingest_settings, upstream  # noqa: F401

ARXIV = UPSTREAM / "arxiv"


def test_parse_new_format_page() -> None:
    page = arxiv_api.parse_feed((ARXIV / "cs.LG_0.xml").read_bytes(), "u")
    assert (page.total, page.start, page.per_page) == (5, 0, 3)
    first = page.entries[0]
    rec = first.record
    assert rec.arxiv_id == "2611.09876" and rec.version == 2
    assert rec.title == "Sparse Mixtures of Tokenizers for Multilingual Language Modelling"
    assert rec.abstract.startswith("We study mixtures") and "\n" not in rec.abstract
    assert rec.authors == ["Zoë Müller", "Kenji Watanabe", "Priya Raman"]
    assert rec.categories == ["cs.LG", "cs.AI", "stat.ML"]
    assert rec.published_on == dt.date(2026, 11, 18)
    assert rec.updated_on == dt.date(2026, 11, 21)
    assert first.updated_at == dt.datetime(2026, 11, 21, 18, 20, 11)
    assert rec.pdf_url == "https://arxiv.org/pdf/2611.09876v2"
    assert rec.comment.startswith("v2: added experiments")
    assert rec.source == "arxiv" and rec.feed_date == dt.date(2026, 11, 18)


def test_parse_legacy_format_and_primary_first() -> None:
    page = arxiv_api.parse_feed((ARXIV / "cs.CL_0.xml").read_bytes(), "u")
    first, second = (e.record for e in page.entries)
    assert first.categories == ["cs.LG", "cs.CL"]  # primary category leads
    assert page.entries[0].updated_at == dt.datetime(2026, 11, 21, 15, 2, 44)  # -05:00 → UTC
    assert first.pdf_url == "https://arxiv.org/pdf/2611.09001v1"
    assert second.comment == "9 pages" and second.categories == ["cs.CL"]
    hostile = arxiv_api.parse_feed((ARXIV / "cs.LG_3.xml").read_bytes(), "u").entries[0].record
    assert hostile.title.startswith("On <script>alert(1)</script> and Other Hostile Titles")
    assert hostile.categories[0] == "cs.CR"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ((ARXIV / "cs.LG_0.xml").read_bytes()[:1800], "malformed Atom XML"),
        (b"Rate exceeded.", "malformed Atom XML"),
        (b"<html><body>maintenance</body></html>", "expected an Atom <feed>"),
        ((ARXIV / "error.xml").read_bytes(), "incorrect id format for 2611.0xyz"),
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>',
            "malformed Atom XML",
        ),
    ],
)
def test_unreadable_documents_name_the_url(content: bytes, reason: str) -> None:
    with pytest.raises(UpstreamFormatError) as info:
        arxiv_api.parse_feed(content, "http://example.test/api/query?start=0")
    assert str(info.value).startswith("http://example.test/api/query?start=0: ")
    assert reason in str(info.value)


def test_placeholder_entry_for_unknown_id_is_skipped() -> None:
    content = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2611.99999'
        b"</id><title></title><summary></summary><updated>2026-11-21T00:00:00-05:00</updated>"
        b"</entry></feed>"
    )
    assert arxiv_api.parse_feed(content, "u").entries == []


def test_fetch_by_ids(ingest_settings, upstream) -> None:  # noqa: F811
    records = arxiv_api.fetch_by_ids(
        ingest_settings, ["arXiv:2611.08123", "https://arxiv.org/abs/2611.06666v1", "2611.99999"]
    )
    assert [(r.arxiv_id, r.version) for r in records] == [("2611.08123", 1), ("2611.06666", 3)]
    assert upstream.hits("id_list=2611.08123,2611.06666,2611.99999")
    with pytest.raises(ValueError, match="not an arXiv id"):
        arxiv_api.fetch_by_ids(ingest_settings, ["not-an-id"])


def test_503_then_success(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("cat:cs.LG", 503, times=2)
    with http.make_client(ingest_settings) as client:
        page = arxiv_api.fetch_category_page(client, ingest_settings, "cs.LG", 0)
    assert len(page.entries) == 3
    assert [r.status for r in upstream.hits("cat:cs.LG")] == [503, 503, 200]


def test_connection_reset_is_retried(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("cat:cs.LG", reset=True)
    with http.make_client(ingest_settings) as client:
        page = arxiv_api.fetch_category_page(client, ingest_settings, "cs.LG", 0)
    assert len(page.entries) == 3 and len(upstream.hits("cat:cs.LG")) == 2


def test_timeout_is_retried(ingest_settings, upstream) -> None:  # noqa: F811
    settings = ingest_settings.model_copy(update={"http_timeout_seconds": 0.3})
    upstream.fail("cat:cs.LG", 200, stall=1.5)  # answers, but too late
    with http.make_client(settings) as client:
        page = arxiv_api.fetch_category_page(client, settings, "cs.LG", 0)
    assert len(page.entries) == 3
    assert len(upstream.waiting) == 1  # the first attempt timed out; the retry answered


def test_429_honours_retry_after(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("cat:cs.LG", 429, headers={"Retry-After": "1"})
    with http.make_client(ingest_settings) as client:
        page = arxiv_api.fetch_category_page(client, ingest_settings, "cs.LG", 0)
    assert len(page.entries) == 3
    first, second = upstream.hits("cat:cs.LG")
    assert first.status == 429 and second.status == 200
    # the backoff setting is 10 ms: only Retry-After explains waiting about a second
    assert second.at - first.at >= 0.8


def test_gives_up_naming_the_url(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("cat:cs.LG", 502, times=10)
    with http.make_client(ingest_settings) as client, pytest.raises(UpstreamError) as info:
        arxiv_api.fetch_category_page(client, ingest_settings, "cs.LG", 0)
    message = str(info.value)
    assert message.startswith(f"{upstream.url}/api/query?search_query=cat%3Acs.LG")
    assert "HTTP 502 (gave up after 4 attempts)" in message
    assert len(upstream.hits("cat:cs.LG")) == ingest_settings.http_max_retries + 1


def test_client_errors_are_not_retried(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("cat:cs.LG", 400, body=b"bad query")
    with http.make_client(ingest_settings) as client, pytest.raises(UpstreamError) as info:
        arxiv_api.fetch_category_page(client, ingest_settings, "cs.LG", 0)
    assert "HTTP 400 (bad query)" in str(info.value)
    assert len(upstream.hits("cat:cs.LG")) == 1


def test_retry_after_too_long_is_refused(ingest_settings, upstream) -> None:  # noqa: F811
    upstream.fail("cat:cs.LG", 503, headers={"Retry-After": "3600"})
    with http.make_client(ingest_settings) as client, pytest.raises(UpstreamError) as info:
        arxiv_api.fetch_category_page(client, ingest_settings, "cs.LG", 0)
    assert "asks to retry after 3600s" in str(info.value)


def test_retry_after_parsing() -> None:
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    assert http.retry_after_seconds("7") == 7
    assert http.retry_after_seconds("Sun, 22 Nov 2026 12:00:30 GMT", now) == 30
    assert http.retry_after_seconds("soon") is None
    assert http.retry_after_seconds(None) is None
