"""Search as a user meets it: consistent paging, no-match queries, highlighting, long queries,
warm start (issue 15)."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dailypapers.search import SearchRequest, forget_indexes, get_index, search
from dailypapers.web.highlight import highlight
from tests.search_fixtures import load_papers

QUERIES = [
    "diffusion", "language models reasoning", "gaussian splatting", "robot", "segmentation",
    "vision transformer token pruning", "category:cs.CV", "learning since:2025-03",
]  # fmt: skip


@pytest.fixture
def settings(settings):
    """No background refresh during a test: it re-indexes papers stamped in the last two
    minutes (all of them here), which can move near-ties between two page requests."""
    return settings.model_copy(update={"index_refresh_seconds": 3600})


@pytest.fixture(autouse=True)
def _fresh_indexes():
    forget_indexes()
    yield
    forget_indexes()


@pytest.fixture
def corpus(settings):
    rows = load_papers(settings, 400)
    get_index(settings)
    return rows


@hsettings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.sampled_from(QUERIES),
    limit=st.integers(1, 60),
    mode=st.sampled_from(["hybrid", "keyword", "semantic"]),
    sort=st.sampled_from(["relevance", "relevance", "date"]),
)
def test_pages_agree_on_the_total_and_never_repeat_a_paper(
    settings, session, corpus, q, limit, mode, sort
) -> None:
    first = search(settings, session, SearchRequest(q=q, mode=mode, sort=sort, limit=limit))
    pages = max(1, math.ceil(first.total / limit))
    seen: list[str] = []
    for page in range(1, pages + 1):
        res = search(
            settings, session, SearchRequest(q=q, mode=mode, sort=sort, limit=limit, page=page)
        )
        assert res.total == first.total
        assert res.items or first.total == 0
        seen += [it.paper.id for it in res.items]
    assert len(seen) == len(set(seen)) == first.total
    assert first.has_next == (pages > 1)


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_a_query_about_nothing_here_finds_nothing(settings, session, corpus, mode) -> None:
    for q in ("xqzvbnmplk", "tax deductions for small businesses in Ohio"):
        res = search(settings, session, SearchRequest(q=q, mode=mode))
        assert res.total == 0 and not res.items, (q, [i.paper.title for i in res.items])
        assert any("nothing" in n for n in res.notes)
    assert search(settings, session, SearchRequest(q="diffusion models", mode=mode)).total > 0


def test_highlighting_marks_query_words_and_their_forms_only() -> None:
    text = "State of the art models often use Self-Supervised modelling of <i>images</i>"
    html = str(highlight(text, ["state", "of", "the", "art", "model", "self-supervised"]))
    assert "<mark>models</mark>" in html and "<mark>modelling</mark>" in html
    assert "<mark>Self</mark>-<mark>Supervised</mark>" in html
    assert "<mark>of</mark>" not in html and "<mark>often</mark>" not in html
    assert "<mark>the</mark>" not in html and "&lt;i&gt;images&lt;/i&gt;" in html


def test_a_long_query_answers_400_saying_the_limit(client) -> None:
    long = "graph neural networks " * 100
    res = client.get("/api/papers/search", params={"q": long})
    assert res.status_code == 400 and "at most 500" in res.text
    page = client.get("/search", params={"q": long})
    assert page.status_code == 400 and "at most 500" in page.text
    assert "graph neural networks graph neural" in page.text  # the box keeps the query
    assert 'maxlength="500"' in page.text


def test_ready_only_when_warm_and_then_search_needs_no_loading(settings) -> None:
    from dailypapers.search import warm_up
    from dailypapers.web.app import create_app

    load_papers(settings, 60)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 503  # not warmed: a server warms at start
        warm_up(settings)
        assert client.get("/readyz").json() == {"status": "ready"}
        assert client.get("/api/papers/search", params={"q": "diffusion"}).status_code == 200


def test_similar_to_a_pasted_text_on_the_api_and_the_page(client, settings, corpus) -> None:
    target = corpus[7]
    draft = " ".join(target["abstract"].split()) * 3  # longer than the model reads at once
    res = client.get("/api/papers/search", params={"like": draft, "limit": 5})
    assert res.status_code == 200
    assert target["id"] in [p["paper"]["id"] for p in res.json()]
    page = client.get("/search", params={"like": draft})
    assert page.status_code == 200 and "Papers related to your text" in page.text
    too_long = client.get("/api/papers/search", params={"like": "word " * 2000})
    assert too_long.status_code == 400 and "at most 5000" in too_long.text


def test_weak_matches_are_shown_apart_on_the_page_and_flagged_on_the_api(
    client, corpus, monkeypatch
) -> None:
    from dailypapers.search import service

    q = "tax deductions for small businesses in Ohio"
    assert (
        "X-Weak-Matches" not in client.get("/api/papers/search", params={"q": "diffusion"}).headers
    )
    # Thresholds moved so that this query (nothing here is about it) lands in the weak band.
    monkeypatch.setattr(service, "NO_MATCH_SIMILARITY", 0.0)
    monkeypatch.setattr(service, "WEAK_SIMILARITY", 1.0)
    for mode in ("hybrid", "keyword", "semantic"):
        res = client.get("/api/papers/search", params={"q": q, "mode": mode})
        assert res.status_code == 200 and res.json(), mode
        assert res.headers["X-Weak-Matches"] == "true"
    page = client.get("/search", params={"q": q})
    assert 'class="weak-matches"' in page.text and "Weak matches</h2>" in page.text
    assert page.text.index("Weak matches</h2>") < page.text.index('class="paper-list')
