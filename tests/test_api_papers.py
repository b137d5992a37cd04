"""``GET /api/papers/{id}`` and ``GET /papers/{id}.md``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import add_papers, make_record


@pytest.fixture
def paper(settings):
    add_papers(
        settings,
        [
            make_record(arxiv_id="2503.00042", version=3, title="Sparse <b>Attention</b> [v3]",
                        abstract="We use *stars* and <script>alert(1)</script> tags.",
                        authors=["Grace Hopper"], organization="Meta AI",
                        github_repo="https://github.com/meta/sparse",
                        feed_date=dt.date(2025, 3, 19), published_on=dt.date(2025, 3, 18)),
            make_record(arxiv_id=None, title="A paper with no arXiv id"),
        ],
    )  # fmt: skip
    return settings


def test_paper_json(paper, client) -> None:
    for path in ("2503.00042", "2503.00042v1", "2503.00042v3"):
        body = client.get(f"/api/papers/{path}").json()
        assert body["id"] == "2503.00042"
    assert body["title"] == "Sparse <b>Attention</b> [v3]"
    assert body["authors"][0]["name"] == "Grace Hopper"
    assert body["publishedAt"] == "2025-03-18T00:00:00.000Z"
    assert body["submittedOnDailyAt"] == "2025-03-19T00:00:00.000Z"
    assert body["organization"]["fullname"] == "Meta AI"
    assert body["githubRepo"] == "https://github.com/meta/sparse"


def test_title_id_paper(paper, client) -> None:
    from dailypapers.store.records import title_id

    tid = title_id("A paper with no arXiv id")
    assert client.get(f"/api/papers/{tid}").json()["title"] == "A paper with no arXiv id"


@pytest.mark.parametrize("path", ["2599.99999", "t-000000000000", "not-an-id", "%3Cscript%3E"])
def test_missing_paper_is_json_404(paper, client, path: str) -> None:
    response = client.get(f"/api/papers/{path}")
    assert response.status_code == 404
    assert "error" in response.json()


def test_markdown(paper, client) -> None:
    response = client.get("/papers/2503.00042v2.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Sparse \\<b\\>Attention\\</b\\> \\[v3\\]\n")
    assert "- **Authors:** Grace Hopper" in text
    assert "[arXiv](<https://arxiv.org/abs/2503.00042>)" in text
    assert "[Code](<https://github.com/meta/sparse>)" in text
    assert "\\<script\\>" in text and "<script>" not in text
    assert "## Abstract" in text
    assert client.get("/papers/2599.99999.md").status_code == 404


def test_openapi_documents_the_read_api(client) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/daily_papers"]["get"]["parameters"]}
    assert params >= {"p", "limit", "date", "week", "month", "submitter", "sort"}
    assert "/api/papers/{paper_id}" in spec["paths"] and "/papers/{paper_id}.md" in spec["paths"]
    assert "HfDailyPaper" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200
