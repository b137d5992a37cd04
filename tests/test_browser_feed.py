"""End to end in real headless Chromium: open the feed, move to another day, open a paper."""

from __future__ import annotations

import datetime as dt

from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.factories import add_papers, make_record

pytestmark = MARKS


def test_feed_day_navigation_and_paper_page(settings, live_server, page) -> None:
    add_papers(
        settings,
        [
            make_record(arxiv_id="2503.00001", title="Older Paper on Graphs",
                        feed_date=dt.date(2025, 3, 17), authors=["Ada Lovelace"]),
            make_record(arxiv_id="2503.00002", title="Newest Paper on Diffusion",
                        feed_date=dt.date(2025, 3, 19), upvotes=4),
        ],
    )  # fmt: skip
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Wednesday, 19 March 2025"
    assert page.locator(".paper-title").all_inner_texts() == ["Newest Paper on Diffusion"]

    page.get_by_role("link", name="Previous").click()
    page.wait_for_url("**/date/2025-03-17")
    assert page.locator("h1").inner_text() == "Monday, 17 March 2025"

    page.get_by_role("link", name="Older Paper on Graphs").click()
    page.wait_for_url("**/papers/2503.00001")
    assert page.locator("h1").inner_text() == "Older Paper on Graphs"
    assert page.get_by_role("link", name="Ada Lovelace").is_visible()
    assert page.get_by_role("link", name="PDF").get_attribute("href") == (
        "https://arxiv.org/pdf/2503.00001"
    )

    page.get_by_role("link", name="Week", exact=True).first.click()
    page.wait_for_url("**/week")
    assert "Week 12" in page.locator("h1").inner_text()
    assert page.locator(".paper-title").count() == 2
