"""Server-rendered pages through the real app: feed views, navigation, paper page, escaping."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dailypapers.store import db
from tests.factories import add_papers, make_record
from tests.querylog import recorded_statements

D = dt.date
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture
def feed(settings):
    add_papers(
        settings,
        [
            make_record(arxiv_id="2503.00001", title="Scaling Laws for Tiny Models",
                        feed_date=D(2025, 3, 17), upvotes=3, organization="Google",
                        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra",
                                 "Barbara Liskov", "Donald Knuth"],
                        github_repo="https://github.com/g/tiny", github_stars=42),
            make_record(arxiv_id="2503.00002", title="Retrieval Everywhere",
                        feed_date=D(2025, 3, 19), upvotes=10, submitter_name="akhaliq"),
            make_record(arxiv_id="2503.00003", title="Diffusion Tables", feed_date=D(2025, 3, 19),
                        authors=[], author_count=6, upvotes=1),
            make_record(arxiv_id="2504.00004", title="April Paper", feed_date=D(2025, 4, 2)),
        ],
    )  # fmt: skip
    return settings


def _titles(html: str) -> list[str]:
    return re.findall(r'class="paper-title"><a href="/papers/[^"]+">([^<]+)</a>', html)


def test_home_shows_latest_day_when_today_is_empty(feed, client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert _titles(page.text) == ["April Paper"]
    assert "Wednesday, 2 April 2025" in page.text
    assert 'rel="prev" href="/date/2025-03-19"' in page.text


def test_day_view_entry_fields_and_sorting(feed, client) -> None:
    page = client.get("/date/2025-03-19").text
    assert _titles(page) == ["Retrieval Everywhere", "Diffusion Tables"]  # top: upvotes first
    assert "6 authors" in page and "submitted by akhaliq" in page
    assert 'href="/date/2025-03-17"' in page and 'href="/date/2025-04-02"' in page
    assert _titles(client.get("/?date=2025-03-19&sort=new").text)[0] == "Diffusion Tables"
    first = client.get("/date/2025-03-17").text
    assert "Ada Lovelace, Alan Turing, Grace Hopper and 3 others" in first
    assert 'href="/google/papers">Google</a>' in first and "★ 42" in first and ">cs.LG</a>" in first
    assert "18 Mar 2025" in first  # the publication date (factory default)


def test_week_and_month_views(feed, client) -> None:
    week = client.get("/week/2025-W12").text
    assert len(_titles(week)) == 3 and "Week 12 · 17\u201323 Mar 2025" in week
    assert 'href="/week/2025-W14"' in week  # next week with papers, skipping the empty W13
    month = client.get("/month/2025-03").text
    assert len(_titles(month)) == 3 and "March 2025" in month
    assert 'href="/month/2025-04"' in month
    assert _titles(client.get("/week").text) == ["April Paper"]
    assert _titles(client.get("/month").text) == ["April Paper"]


def test_empty_day_links_to_latest(feed, client) -> None:
    page = client.get("/date/2025-03-18").text
    assert "No papers on this day" in page and 'href="/date/2025-04-02"' in page


def test_pagination(feed, settings, app, client) -> None:
    settings.page_size = 2
    page1 = client.get("/month/2025-03").text
    assert len(_titles(page1)) == 2 and 'href="/month/2025-03?page=2"' in page1
    assert len(_titles(client.get("/month/2025-03?page=2").text)) == 1
    assert client.get("/month/2025-03?page=3").status_code == 404


def test_paper_page(feed, client) -> None:
    page = client.get("/papers/2503.00001v2")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Scaling Laws for Tiny Models</h1>" in text
    assert 'href="https://arxiv.org/abs/2503.00001"' in text
    assert 'href="https://arxiv.org/pdf/2503.00001"' in text
    assert 'href="https://github.com/g/tiny"' in text
    assert 'href="/authors/Donald%20Knuth"' in text
    assert 'href="/date/2025-03-17"' in text
    assert "We study problem" in text


@pytest.mark.parametrize(
    ("path", "status"),
    [("/papers/2599.99999", 404), ("/papers/t-000000000000", 404), ("/nope", 404),
     ("/date/2025-02-30", 400), ("/week/2025-W99", 400), ("/month/2025-13", 400),
     ("/?date=someday", 400), ("/?sort=random", 422), ("/?page=0", 422)],
)  # fmt: skip
def test_errors_are_html_pages(feed, client, path: str, status: int) -> None:
    page = client.get(path)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "Back to today" in page.text


def test_hostile_text_is_escaped(settings, client) -> None:
    add_papers(
        settings,
        [make_record(arxiv_id="2503.00666", title=HOSTILE, abstract=HOSTILE, organization=HOSTILE,
                     authors=[HOSTILE], submitter_name="<b>x</b>", categories=["<i>cs</i>"],
                     github_repo="javascript:alert(1)", project_page="javascript:alert(2)")],
    )  # fmt: skip
    for path in ("/", "/papers/2503.00666", "/trending"):
        text = client.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>x" not in text
        assert "javascript:" not in text
        assert "&lt;script&gt;" in text
    page = client.get("/papers/2503.00666").text
    assert "<title>&lt;script&gt;" in page


def test_trending_page(feed, settings, client) -> None:
    from sqlalchemy import update

    from dailypapers.store.models import Paper

    with db.session_scope(settings) as s:
        s.execute(update(Paper).where(Paper.id == "2503.00003").values(trending_score=5.0))
    assert _titles(client.get("/trending").text)[0] == "Diffusion Tables"


def test_layout_slots(feed, client) -> None:
    text = client.get("/").text
    assert 'action="/search"' in text and 'name="q"' in text
    for label, href in (("Daily", "/"), ("Week", "/week"), ("Month", "/month"),
                        ("Trending", "/trending")):  # fmt: skip
        assert f'href="{href}"' in text and f">{label}</a>" in text
    assert "Get trending papers in your email inbox" in text
    assert client.get("/static/style.css").status_code == 200


def test_feed_page_query_count_is_constant(settings, client) -> None:
    """The feed page costs the same few queries for 3 or 40 entries (no N+1)."""
    engine = db.get_engine(settings)
    counts = []
    for day, n in ((3, 3), (4, 40)):
        add_papers(settings, [make_record(feed_date=D(2025, 5, day)) for _ in range(n)])
        with recorded_statements(engine) as statements:
            assert len(_titles(client.get(f"/date/2025-05-{day:02d}").text)) == n
        counts.append(len([s for s in statements if "feed_entries" in s or "papers" in s]))
    assert counts[0] == counts[1] <= 5


def test_empty_feed_says_how_to_fill_it(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "The feed is empty" in page.text and "dailypapers import" in page.text


def test_week_sorted_by_new_is_grouped_by_day(feed, client) -> None:
    page = client.get("/week/2025-W12?sort=new").text
    headings = re.findall(r'<li class="day-heading"><h2><a href="([^"]+)">([^<]+)</a>', page)
    assert headings == [("/date/2025-03-19", "Wednesday, 19 Mar 2025"),
                        ("/date/2025-03-17", "Monday, 17 Mar 2025")]  # fmt: skip
    assert "day-heading" not in client.get("/week/2025-W12").text
