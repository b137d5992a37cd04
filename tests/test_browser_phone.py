"""Phones in real Chromium: every page type fits a 360 px screen, the header stays short, the
menu opens without JavaScript and anchors land below the sticky header."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.community.comments import add_comment
from dailypapers.community.users import authenticate
from dailypapers.store import db
from tests.browser import ARGS, CHROMIUM, MARKS
from tests.community_fixtures import PASSWORD, make_user
from tests.factories import add_papers, make_record

pytestmark = MARKS
DAY = dt.date(2025, 3, 18)
LONG_WORD = "Supercalifragilisticexpialidocious" * 3
PAGES = [
    "/", "/date/2025-03-18", "/week", "/month", "/trending", "/papers/2503.00001",
    "/papers/2503.00001?similar=method", "/search?q=attention", "/search?q=%22unclosed",
    "/search", f"/authors/{LONG_WORD}", "/Very%20Long%20Organization%20Name/papers",
    "/papers/2599.99999", "/login?next=/", "/signup", "/password/forgot", "/subscribe",
]  # fmt: skip
LOGGED_IN_PAGES = ["/", "/papers/2503.00001", "/settings", "/submit", "/admin", "/admin/ingest"]


def _fill(settings) -> None:
    records = [
        make_record(arxiv_id="2503.00001", feed_date=DAY,
                    title=f"Attention {LONG_WORD} with $\\mathcal{{O}}(n^2)$ memory",
                    abstract=f"We study {LONG_WORD} and https://example.org/{LONG_WORD} links.",
                    authors=[f"Author {LONG_WORD}", "Ada Lovelace"],
                    organization="Very Long Organization Name", github_repo="https://github.com/a/b",
                    categories=["cs.LG", "cs.AI", "cs.CL", "stat.ML"]),
        *[make_record(feed_date=DAY, title=f"Attention paper {i}") for i in range(5)],
    ]  # fmt: skip
    add_papers(settings, records)
    make_user(settings, "admin", admin=True)
    with db.session_scope(settings) as session:
        user = authenticate(session, "admin", PASSWORD)
        assert user is not None
        add_comment(
            session, settings, user, "2503.00001", f"See {LONG_WORD} https://x.org/{LONG_WORD}"
        )


@pytest.fixture(name="phone")
def phone_fixture():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        browser.close()


def _fits(page, url: str) -> None:
    page.goto(url)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= page.evaluate("innerWidth") == 360, f"{url} is {wide} px wide ({scheme})"
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 64, f"{url}: header {header}"


def test_every_page_fits_a_phone(settings, live_server, phone) -> None:
    _fill(settings)
    for path in PAGES:
        _fits(phone, live_server + path)
    phone.goto(live_server + "/login")
    phone.get_by_label("User name or email").fill("admin")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url(live_server + "/")
    for path in LOGGED_IN_PAGES:
        _fits(phone, live_server + path)
    phone.goto(live_server + "/papers/2503.00001")
    phone.locator(".comment-actions summary", has_text="Edit").click()
    box = phone.locator(".comment-actions textarea").bounding_box()
    comment = phone.locator(".comment").first.bounding_box()
    assert box and comment and box["width"] >= comment["width"] - 40  # the edit box is full width


@pytest.fixture(name="no_js")
def no_js_fixture():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 740},
                                      java_script_enabled=False)  # fmt: skip
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        browser.close()


def test_menu_works_without_javascript_and_anchors_clear_the_header(
    settings, live_server, no_js
) -> None:
    _fill(settings)
    no_js.goto(live_server + "/")
    trending = no_js.locator(".site-header").get_by_role("link", name="Trending", exact=True)
    assert trending.count() == 0  # folded away
    no_js.get_by_label("Menu").click()
    trending.click()
    no_js.wait_for_url("**/trending")

    no_js.goto(live_server + "/papers/2503.00001#comments")
    header = no_js.locator(".site-header").bounding_box()
    heading = no_js.locator("#comments-title").bounding_box()
    assert header and heading and heading["y"] >= header["y"] + header["height"]
