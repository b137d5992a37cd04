"""Digest topics honour the search filters a digest can (has:code, category:, author:, org:),
refuse since:/until: with a reason on the API and the form, show clean headings and link to
the rest of a topic's papers on the site."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from dailypapers.digest.compose import MailPaper, WindowPapers
from dailypapers.digest.send import send_digests
from dailypapers.digest.topics import TopicError, clean_topics, parse_topic
from tests.digest_fixtures import (  # noqa: F401  (fixtures)
    add_papers,
    add_subscribers,
    smtp_server_fixture,
    text_part,
)

DAY = dt.date(2026, 3, 18)


def _paper(pid: str, title: str, abstract: str = "About diffusion models.", **extra) -> MailPaper:
    values = {"authors": ["Ada Lovelace"], "author_count": 1, "organization": None,
              "upvotes": 0, "categories": ["cs.LG"], "feed_date": DAY, "github_repo": None,
              "project_page": None, "arxiv_id": None, "trending_score": 0.0, **extra}  # fmt: skip
    paper = MailPaper(pid, title, abstract, **values)
    paper.index()
    return paper


WINDOW = WindowPapers([
    _paper("code", "Diffusion with code", github_repo="https://github.com/a/b",
           categories=["cs.CV"], organization="Google DeepMind"),
    _paper("plain", "Diffusion without code", categories=["cs.CV", "cs.LG"]),
    _paper("other", "Graph networks", "Message passing.", authors=["Yann LeCun"],
           github_repo="https://github.com/c/d"),
])  # fmt: skip


@pytest.mark.parametrize(("topic", "expected"), [
    ("has:code", ["code", "other"]),
    ("diffusion has:code", ["code"]),
    ("category:cs.CV has:code", ["code"]),
    ("diffusion -category:cs.LG", ["code"]),
    ('author:"Yann LeCun" has:code', ["other"]),
    ("author:Yann LeCun", ["other"]),
    ('org:deepmind "diffusion with"', ["code"]),
    ("diffusion -org:deepmind", ["plain"]),
    ("cat:cs.CV", ["code", "plain"]),
])  # fmt: skip
def test_filters_are_honoured(topic: str, expected: list[str]) -> None:
    assert sorted(WINDOW.match(parse_topic(topic))) == sorted(expected)


@pytest.mark.parametrize(("topic", "reason"), [
    ("diffusion since:2025", "since: and until:"),
    ("until:2025-06 agents", "since: and until:"),
    ("has:data", "has: only knows has:code"),
    ("-has:code", "cannot be negated"),
    ("author:", "needs a value"),
    ("-diffusion", "no word or filter"),
])  # fmt: skip
def test_topics_a_digest_cannot_honour_are_refused(topic: str, reason: str) -> None:
    with pytest.raises(TopicError, match=reason):
        clean_topics([topic])


@pytest.mark.parametrize(("topic", "label"), [
    ('"mixture of experts"', "Matching “mixture of experts”"),
    ("diffusion has:code category:cs.CV", "Matching “diffusion” in cs.CV, with code"),
    ("has:code", "With code"),
    ("category:cs.CL", "Category cs.CL"),
    ("author:Yann LeCun", "By Yann LeCun"),
    ("org:Google DeepMind", "From Google DeepMind"),
])  # fmt: skip
def test_headings_are_clean(topic: str, label: str) -> None:
    assert parse_topic(topic).label == label


def test_search_query_says_the_same_thing() -> None:
    for raw in ('"mixture of experts" -survey has:code', "author:Yann LeCun", "cat:cs.CV x"):
        topic = parse_topic(raw)
        again = parse_topic(topic.search_query)
        assert again.filters == topic.filters and again.terms == topic.terms
        assert again.phrases == topic.phrases and again.has_code == topic.has_code


def test_api_and_form_refuse_with_the_reason(client):
    bad = client.post("/api/subscriptions", json={"email": "t@example.org",
                                                  "topics": ["agents since:2025"]})  # fmt: skip
    assert bad.status_code in (400, 422) and "since: and until:" in bad.json()["error"]
    good = client.post("/api/subscriptions", json={"email": "t@example.org",
                                                   "topics": ["agents has:code"]})  # fmt: skip
    assert good.status_code == 202
    page = client.get("/subscribe")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    fields = {"email": "f@example.org", "frequency": "daily", "topics": "until:2025 agents"}
    form = client.post("/subscribe", data={**fields, "csrf_token": token})
    assert form.status_code == 400 and "since: and until:" in form.text


def test_digest_links_to_more_on_the_site(settings, smtp_server):
    settings = smtp_server.settings(settings).model_copy(update={"digest_papers_per_topic": 2})
    add_papers(settings, DAY, [{"title": f"Diffusion study {n}",
                                "github_repo": "https://github.com/x/y" if n % 2 else None}
                               for n in range(7)])  # fmt: skip
    add_subscribers(settings, ["ada@example.org"], ["diffusion has:code"])
    send_digests(settings, frequencies=("daily",), as_of=DAY)
    text = text_part(smtp_server.to("ada@example.org")[0].message)
    assert "## Matching “diffusion” with code" in text
    line = next(x for x in text.splitlines() if "more on the site" in x)
    assert line.startswith("1 more on the site: http://testserver/search?")
    query = parse_qs(urlsplit(line.split(": ", 1)[1]).query)["q"][0]
    assert query == f"diffusion has:code since:{(DAY - dt.timedelta(days=1)).isoformat()}"
