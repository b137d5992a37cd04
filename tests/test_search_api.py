"""``/api/papers/search``, ``/api/papers/{id}/similar``, the ``/search`` page and similar
papers on the paper page, through the real app."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.search.engine import forget_indexes
from dailypapers.store import db
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from tests.search_fixtures import load_papers


@pytest.fixture(autouse=True)
def _fresh_indexes():
    forget_indexes()
    yield
    forget_indexes()


HOSTILE = PaperRecord(
    title='<script>alert("x")</script> Attention & transformers',
    abstract="We study <b>attention</b> heads &amp; their routing in transformers.",
    arxiv_id="2601.00009", authors=["Eve <img src=x onerror=alert(1)>"], categories=["cs.LG"],
    github_repo="https://github.com/e/v", published_on=dt.date(2026, 1, 9),
    feed_date=dt.date(2026, 1, 9),
)  # fmt: skip


@pytest.fixture
def corpus(settings):
    rows = load_papers(settings, 200)
    with db.session_scope(settings) as session:
        upsert_records(session, [HOSTILE])
    return rows


def test_search_api_returns_hf_shaped_items(client, corpus) -> None:
    target = corpus[42]
    response = client.get("/api/papers/search", params={"q": target["title"], "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 5 and body[0]["paper"]["id"] == target["id"]
    assert body[0]["title"] == target["title"] and "summary" in body[0]["paper"]
    assert int(response.headers["X-Total-Count"]) >= 5


def test_search_api_filters_modes_and_pages(client, corpus) -> None:
    got = client.get("/api/papers/search", params={"q": "attention", "has_code": "true"}).json()
    # corpus papers whose abstracts link their code count as having code too
    assert "2601.00009" in [i["paper"]["id"] for i in got]
    assert all(i["paper"].get("githubRepo") for i in got)
    got = client.get("/api/papers/search", params={"q": "attention", "since": "2026-01"}).json()
    assert [i["paper"]["id"] for i in got] == ["2601.00009"]
    cat = client.get("/api/papers/search", params={"q": "learning", "category": "cs.CV"}).json()
    assert cat and all("cs.CV" in i["paper"]["categories"] for i in cat)
    for mode in ("keyword", "semantic", "hybrid"):
        assert client.get("/api/papers/search", params={"q": "video", "mode": mode}).json()
    first = client.get("/api/papers/search", params={"q": "model", "limit": 3, "p": 1}).json()
    second = client.get("/api/papers/search", params={"q": "model", "limit": 3, "page": 2}).json()
    assert first == second


@pytest.mark.parametrize(
    "params",
    [{"q": "since:2025-13"}, {"q": "x", "since": "soon"}, {"q": "has:nothing"},
     {"q": "x", "since": "2026", "until": "2025"}],
)  # fmt: skip
def test_search_api_bad_queries_are_400_with_a_message(client, corpus, params) -> None:
    response = client.get("/api/papers/search", params=params)
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"sort": "x"}, {"mode": "y"}])
def test_search_api_out_of_range_parameters_are_422(client, corpus, params) -> None:
    response = client.get("/api/papers/search", params={"q": "x", **params})
    assert response.status_code == 422 and response.json()["error"]


def test_similar_api_uses_vectors_and_falls_back_to_keywords(client, corpus) -> None:
    target = corpus[7]
    body = client.get(f"/api/papers/{target['id']}/similar", params={"limit": 5}).json()
    assert len(body) == 5 and target["id"] not in [i["paper"]["id"] for i in body]
    # The hostile paper has no vector yet: keyword similarity still finds attention papers.
    body = client.get("/api/papers/2601.00009/similar").json()
    assert body and "2601.00009" not in [i["paper"]["id"] for i in body]
    assert client.get("/api/papers/2999.99999/similar").status_code == 404


def test_hf_client_list_papers_reads_search(settings, live_server, corpus, monkeypatch) -> None:
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    papers = list(HfApi(endpoint=live_server, token=False).list_papers(query=corpus[3]["title"]))
    assert papers[0].id == corpus[3]["id"] and papers[0].title == corpus[3]["title"]


def test_search_page_marks_words_escapes_and_links_filters(client, corpus) -> None:
    page = client.get("/search", params={"q": "attention transformers"})
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<mark>Attention</mark>" in html and "<mark>transformers</mark>" in html
    assert "onerror=alert" not in html or "&lt;img" in html
    assert "/search?q=attention+transformers+has%3Acode" in html
    assert "sort=date" in html and "mode=semantic" in html


def test_search_page_errors_and_empty_queries(client, corpus) -> None:
    bad = client.get("/search", params={"q": "since:never"})
    assert bad.status_code == 400 and "is not a date" in bad.text
    empty = client.get("/search")
    assert empty.status_code == 200 and "author:" in empty.text
    none = client.get("/search", params={"q": "zzzqqqxxx", "mode": "keyword"})
    assert none.status_code == 200 and "No papers match" in none.text


def test_search_page_paginates(client, corpus) -> None:
    html = client.get("/search", params={"q": "learning", "mode": "keyword"}).text
    assert "page=2" in html
    assert client.get("/search", params={"q": "learning", "page": 2}).status_code == 200


def test_paper_page_shows_similar_papers(client, corpus) -> None:
    html = client.get(f"/papers/{corpus[7]['id']}").text
    assert 'id="similar"' in html and html.count('class="paper-item"') >= 3
    assert client.get(f"/papers/{corpus[7]['id']}?similar=method").status_code == 200
