"""The ``huggingface_hub`` client reads a running dailypapers server as if it were the Hub."""

from __future__ import annotations

import datetime as dt

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from sqlalchemy import update

from dailypapers.store import db
from dailypapers.store.models import Paper
from tests.factories import add_papers, make_record


@pytest.fixture
def hub(settings, live_server, monkeypatch):
    # The suite runs with HF_HUB_OFFLINE=1 (no Hub downloads); our own server is not the Hub.
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    add_papers(
        settings,
        [
            make_record(arxiv_id="2503.00001", title="Mixture of Experts at Scale", upvotes=12,
                        authors=["Ada Lovelace", "Alan Turing"], organization="DeepMind",
                        submitter_name="akhaliq", github_repo="https://github.com/dm/moe",
                        feed_date=dt.date(2025, 3, 18), published_on=dt.date(2025, 3, 17)),
            make_record(arxiv_id="2503.00002", title="Diffusion for Tables",
                        feed_date=dt.date(2025, 3, 18)),
            make_record(arxiv_id="2503.00003", title="Retrieval with Sparse Vectors",
                        feed_date=dt.date(2025, 3, 20)),
        ],
    )  # fmt: skip
    with db.session_scope(settings) as session:
        session.execute(update(Paper).where(Paper.id == "2503.00001").values(trending_score=3.0))
    return HfApi(endpoint=live_server, token=False)


def test_list_daily_papers(hub) -> None:
    papers = list(hub.list_daily_papers(date="2025-03-18"))
    assert [p.id for p in papers] == ["2503.00002", "2503.00001"]
    moe = papers[1]
    assert moe.title == "Mixture of Experts at Scale"
    assert [a.name for a in moe.authors] == ["Ada Lovelace", "Alan Turing"]
    assert moe.upvotes == 12
    assert moe.published_at == dt.datetime(2025, 3, 17, tzinfo=dt.UTC)
    assert moe.submitted_at == dt.datetime(2025, 3, 18, tzinfo=dt.UTC)
    assert moe.submitted_by.username == "akhaliq"
    assert (moe.organization.name, moe.organization.fullname) == ("deepmind", "DeepMind")
    assert moe.github_repo == "https://github.com/dm/moe"
    assert moe.summary.startswith("We study")
    assert [p.id for p in hub.list_daily_papers(week="2025-W12", sort="trending", limit=1)] == [
        "2503.00001"
    ]
    assert len(list(hub.list_daily_papers(month="2025-03", p=1, limit=2))) == 1
    assert [p.id for p in hub.list_daily_papers(submitter="akhaliq")] == ["2503.00001"]


def test_paper_info_and_read_paper(hub) -> None:
    info = hub.paper_info("2503.00001")
    assert info.id == "2503.00001" and info.title == "Mixture of Experts at Scale"
    assert info.published_at == dt.datetime(2025, 3, 17, tzinfo=dt.UTC)
    assert info.submitted_at == dt.datetime(2025, 3, 18, tzinfo=dt.UTC)
    assert info.authors[0].name == "Ada Lovelace"
    text = hub.read_paper("2503.00001")
    assert text.startswith("# Mixture of Experts at Scale")
    with pytest.raises(HfHubHTTPError):
        hub.paper_info("2599.99999")
    with pytest.raises(HfHubHTTPError):
        list(hub.list_daily_papers(date="not-a-date"))


def _search_served(hub) -> bool:
    import httpx

    return httpx.get(f"{hub.endpoint}/api/papers/search", params={"q": "x"}).status_code != 404


def test_list_papers_search(hub, request) -> None:
    if not _search_served(hub):
        request.applymarker(pytest.mark.xfail(reason="/api/papers/search not served yet",
                                              strict=False))  # fmt: skip
    found = list(hub.list_papers(query="Mixture of Experts", limit=5))
    assert found and found[0].id == "2503.00001"
    assert found[0].title == "Mixture of Experts at Scale"
