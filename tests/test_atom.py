"""Atom feeds parsed back with feedparser: well-formed, complete, hostile text escaped."""

from __future__ import annotations

import datetime as dt

import feedparser
from defusedxml import ElementTree as SafeET
from sqlalchemy import update

from dailypapers.store import db
from dailypapers.store.models import Paper
from tests.digest_fixtures import add_papers

DAY = dt.date(2025, 3, 18)
HOSTILE = '<script>alert("t")</script> & <b>bold</b> \x0c]]>'


def _corpus(settings) -> None:
    add_papers(settings, DAY - dt.timedelta(days=1), [
        {"title": "Sparse attention for long documents", "arxiv_id": "2503.10001", "upvotes": 2,
         "authors": ["Grace Hopper"], "abstract": "Attention that scales to long inputs."},
    ])  # fmt: skip
    add_papers(settings, DAY, [
        {"title": HOSTILE, "arxiv_id": "2503.10002", "upvotes": 50,
         "organization": "<i>Org & Co</i>", "abstract": "Abstract with <tags> & ampersands."},
        {"title": "Diffusion for proteins", "arxiv_id": "2503.10003", "upvotes": 7,
         "categories": ["q-bio.BM", "cs.LG"]},
    ])  # fmt: skip


def _parse(response):
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    SafeET.fromstring(response.content)  # a strict XML parser: well-formed
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_daily_feed_is_valid_atom_with_escaped_text(settings, client):
    _corpus(settings)
    parsed = _parse(client.get("/feed.xml"))
    feed = parsed.feed
    assert feed.id == "http://testserver/feed.xml" and feed.updated
    assert [link.rel for link in feed.links] == ["self", "alternate"]
    assert len(parsed.entries) == 3
    newest = next(e for e in parsed.entries if e.id.endswith("/2503.10002"))
    assert newest.title == HOSTILE.replace("\x0c", "")  # text survives, as text
    assert newest.id == "http://testserver/papers/2503.10002"
    assert newest.link == "http://testserver/papers/2503.10002"
    assert newest.updated and newest.published.startswith("2025-03-18")
    content = newest.content[0].value
    assert "&lt;script&gt;" in content or "<script>" not in content
    assert "Org &amp; Co" in content or "Org & Co" in content
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == len(ids)
    assert parsed.entries[-1].authors[0].name == "Grace Hopper"


def test_trending_feed_orders_by_trend(settings, client):
    _corpus(settings)
    with db.session_scope(settings) as s:  # as votes would set it
        s.execute(update(Paper).values(trending_score=Paper.upvotes))
    parsed = _parse(client.get("/trending.xml"))
    assert [e.id.rsplit("/", 1)[1] for e in parsed.entries][:1] == ["2503.10002"]
    protein = next(e for e in parsed.entries if e.title == "Diffusion for proteins")
    assert {t.term for t in protein.tags} == {"q-bio.BM", "cs.LG"}


def test_search_feed_for_a_saved_search(settings, client):
    _corpus(settings)
    parsed = _parse(client.get("/search.xml", params={"q": "attention"}))
    assert [e.title for e in parsed.entries] == ["Sparse attention for long documents"]
    assert parsed.feed.id == "http://testserver/search.xml?q=attention"
    empty = _parse(client.get("/search.xml", params={"q": "zzzunmatched"}))
    assert empty.entries == [] and empty.feed.updated
    assert client.get("/search.xml").status_code == 422
    assert client.get("/search.xml", params={"q": "since:notadate"}).status_code == 400
    assert client.get("/search.xml", params={"q": "x" * 600}).status_code == 422
