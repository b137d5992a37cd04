"""Without JavaScript in real Chromium: destructive actions ask first, an upvote comes back to
the same entry, an anonymous upvote explains itself and returns after log-in; headings never
skip a level."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.browser import ARGS, CHROMIUM, MARKS
from tests.community_fixtures import PASSWORD, make_user
from tests.factories import add_papers, make_record

pytestmark = MARKS
DAY = dt.date(2025, 3, 18)


@pytest.fixture(name="tab")
def tab_fixture():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 700},
                                      java_script_enabled=False)  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def _log_in(tab, base: str) -> None:
    tab.get_by_label("User name or email").fill("bob")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()


def _heading_levels(tab) -> list[int]:
    return tab.evaluate(
        "[...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
        ".map(h => Number(h.tagName[1]))"
    )


def test_votes_and_confirmations_without_javascript(settings, live_server, tab) -> None:
    add_papers(settings, [make_record(feed_date=DAY, upvotes=50 - i, title=f"Entry {i}")
                          for i in range(30)])  # fmt: skip
    make_user(settings, "bob")
    tab.goto(live_server + "/")
    paper_id = tab.locator(".paper-item").nth(25).get_attribute("id")
    target = tab.locator(f'[id="{paper_id}"]')

    target.locator(".upvote-button").click()  # anonymous
    tab.wait_for_url("**/login?*")
    assert "to upvote papers" in tab.locator("main").inner_text()
    _log_in(tab, live_server)
    tab.wait_for_url(f"**/#{paper_id}")  # back on the list, at the same entry
    target.locator(".upvote-button").click()
    tab.wait_for_url(f"**/#{paper_id}")
    assert target.locator(".upvote-button").get_attribute("aria-pressed") == "true"
    assert tab.evaluate("scrollY") > 1000  # the browser scrolled to the entry, not the top

    for path in ("/", "/week?sort=new", "/trending", "/search?q=entry", f"/papers/{paper_id[6:]}"):
        tab.goto(live_server + path)
        levels = _heading_levels(tab)
        assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), path

    tab.goto(live_server + f"/papers/{paper_id[6:]}")
    tab.get_by_label("Add a comment").fill("First thoughts")
    tab.get_by_role("button", name="Post comment").click()
    comment = tab.locator(".comment").first
    comment.locator("summary", has_text="Delete").click()
    assert comment.get_by_text("Delete this comment for good?").is_visible()
    comment.get_by_role("button", name="Yes, delete").click()
    tab.wait_for_url("**#comments")
    assert "No comments yet." in tab.locator(".comment-list").inner_text()

    tab.goto(live_server + "/settings")
    tab.get_by_label("Token name").fill("laptop")
    tab.get_by_role("button", name="Create token").click()
    row = tab.locator(".token-table tbody tr", has_text="laptop")
    row.locator("summary", has_text="Revoke").click()
    row.get_by_role("button", name="Yes, revoke").click()
    tab.wait_for_url("**/settings")
    assert tab.locator(".token-table tbody tr", has_text="laptop").count() == 0
