"""The Markdown page names authors only when it knows them (no "Authors: 0 authors")."""

from __future__ import annotations

from tests.factories import add_papers, make_record


def test_markdown_without_authors_has_no_author_line(settings, client) -> None:
    known = make_record(arxiv_id="2503.00001", authors=["Ada Lovelace", "A. Turing"])
    unknown = make_record(arxiv_id=None, title="A pages-only paper", authors=[])
    add_papers(settings, [unknown, known])
    listing = client.get("/api/daily_papers").json()
    untitled = next(i["paper"]["id"] for i in listing if i["paper"]["id"].startswith("t-"))
    text = client.get(f"/papers/{untitled}.md").text
    assert "Authors" not in text and "0 authors" not in text
    assert "- **Authors:** Ada Lovelace, A. Turing" in client.get("/papers/2503.00001.md").text
