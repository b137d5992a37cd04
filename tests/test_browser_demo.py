"""The first minute of ``make demo`` in real Chromium: the front page opens on real papers."""

from __future__ import annotations

import importlib.util
import re

import pytest

from dailypapers.ingest.sample import load_sample
from dailypapers.store import db
from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)

# The demo's community activity (issue 13) marks the demo data that this test is about.
HAS_DEMO_ACTIVITY = importlib.util.find_spec("dailypapers.community.demo") is not None
pytestmark = [
    *MARKS,
    pytest.mark.slow,
    pytest.mark.skipif(not HAS_DEMO_ACTIVITY, reason="needs the demo data of issue 13"),
]
ARXIV_PAGE = re.compile(r"^/papers/\d{4}\.\d{4,5}$")


def _fill_like_the_demo(settings) -> None:
    """What ``dailypapers demo`` puts in its folder: the sample and the demo community."""
    from dailypapers.community.demo import seed_demo_activity

    assert load_sample(settings) is not None
    with db.session_scope(settings) as session:
        seed_demo_activity(session, settings)


def test_demo_front_page_opens_on_real_papers(settings, live_server, page) -> None:
    _fill_like_the_demo(settings)
    page.goto(live_server + "/")
    first = page.locator(".paper-item").first
    authors = first.locator(".paper-authors").inner_text()
    assert authors and "Unknown" not in authors and not re.fullmatch(r"\d+ authors?", authors)
    title = first.locator(".paper-title a")
    assert ARXIV_PAGE.match(title.get_attribute("href") or "")
    assert first.locator(".chip").count() >= 1  # categories, each a search link
    assert int(first.locator(".vote-count").inner_text()) >= 0

    title.click()
    page.wait_for_url("**/papers/*")
    assert page.locator(".paper-authors-full a").count() >= 1  # author pages
    pdf = page.get_by_role("link", name="PDF").get_attribute("href") or ""
    assert pdf.startswith("https://arxiv.org/pdf/")
    assert (page.get_by_role("link", name="arXiv page").get_attribute("href") or "").startswith(
        "https://arxiv.org/abs/"
    )
