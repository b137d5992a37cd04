"""In real headless Chromium: a new user upvotes three papers, /for-you shows papers with
reasons, "not interested" removes one and changes the ranking, an "always" rule brings a
matching paper in. (The library import and digest steps of issue 11 need the library.)"""

from __future__ import annotations

from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.foryou_fixtures import store_world
from tests.test_foryou_api import IDS, LAST, PAPERS, VECS

pytestmark = MARKS
PASSWORD = "a long enough password"


def _css(pid: str) -> str:
    return "#paper-" + pid.replace(".", "\\.")


def test_for_you_flow(settings, live_server, page) -> None:  # type: ignore[no-untyped-def]
    store_world(settings, PAPERS, VECS)
    page.goto(live_server + "/signup")
    form = page.locator("main form")
    form.get_by_label("User name").fill("ada")
    form.get_by_label("Email").fill("ada@example.org")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    page.goto(live_server + "/for-you")
    assert "Tell us what you read" in page.inner_text("main")
    day = PAPERS[0]["first_listing_date"]
    page.goto(live_server + f"/date/{day}")
    for pid in (IDS[0], IDS[4], IDS[8]):  # robotics papers
        page.locator(f"{_css(pid)} .upvote-button").click()
        page.wait_for_selector(f"{_css(pid)} .upvote-button[aria-pressed=true]")

    page.goto(live_server + f"/for-you/day/{LAST}")
    titles = page.locator(".foryou-list .paper-title").all_inner_texts()
    assert titles and titles[0].startswith("Robots")
    assert "which you upvoted" in page.locator(".foryou-reasons").first.inner_text()

    page.locator(".foryou-list > li").first.get_by_role("button", name="Not interested").click()
    page.wait_for_selector(".foryou-hidden")
    after = page.locator(".foryou-list .paper-title").all_inner_texts()
    assert titles[0] not in after and after != titles

    page.get_by_label("Papers matching").fill("molecules")
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_selector(".foryou-rules")
    top = page.locator(".foryou-list > li").first
    assert top.locator(".paper-title").inner_text().startswith("Graphs")
    assert "matches your rule “molecules”" in top.locator(".foryou-reasons").inner_text()
