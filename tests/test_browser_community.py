"""In real headless Chromium: sign up, submit a paper, upvote it, comment, see it trend."""

from __future__ import annotations

import datetime as dt

from dailypapers.store import db
from dailypapers.store.trending import refresh_scores
from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.community_fixtures import arxiv_replay, confirmation_token
from tests.factories import add_papers, make_record

pytestmark = MARKS


def _older_papers(settings) -> None:
    """Two papers from three days ago with a few votes: the new paper must overtake them."""
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
    add_papers(settings, [
        make_record(arxiv_id="2511.00001", title="Older Voted Paper", feed_date=day, upvotes=3),
        make_record(arxiv_id="2511.00002", title="Older Quiet Paper", feed_date=day, upvotes=1),
    ])  # fmt: skip
    with db.session_scope(settings) as session:
        refresh_scores(session, settings)


def test_signup_submit_upvote_comment_trending(settings, live_server, page) -> None:
    _older_papers(settings)
    with arxiv_replay({"2511.01234": "Sparse Attention for Everyone"}) as (url, _seen):
        settings.arxiv_api_url = url
        page.goto(live_server + "/")
        page.get_by_role("link", name="Sign up").click()
        form = page.locator("main form")
        form.get_by_label("User name").fill("grace")
        form.get_by_label("Email").fill("grace@example.org")
        form.get_by_label("Password").fill("a long enough password")
        form.get_by_role("button", name="Sign up").click()
        assert page.locator("h1").inner_text() == "Check your inbox"
        token = confirmation_token(settings, "grace@example.org")  # the link mailed to grace
        page.goto(f"{live_server}/signup/confirm/{token}")
        page.get_by_role("button", name="Create my account").click()
        assert page.locator(".site-header .account-name:visible").inner_text() == "grace"

        page.get_by_role("link", name="Submit").click()
        form = page.locator("main form")
        form.get_by_label("arXiv id or URL").fill("https://arxiv.org/abs/2511.01234v1")
        form.get_by_role("button", name="Submit").click()
        page.wait_for_url("**/papers/2511.01234")
    assert page.locator("h1").inner_text() == "Sparse Attention for Everyone"

    button = page.locator(".paper-actions .upvote-button")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()  # the script toggles in place through the JSON API
    page.wait_for_selector(".paper-actions .upvote-button[aria-pressed=true]")
    assert button.locator(".vote-count").inner_text() == "1"
    assert page.url.endswith("/papers/2511.01234")

    page.get_by_label("Add a comment").fill("Worth reading: https://example.org/notes <b>bold?</b>")
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator(".comment-text").first
    assert comment.inner_text() == "Worth reading: https://example.org/notes <b>bold?</b>"
    assert comment.get_by_role("link").get_attribute("href") == "https://example.org/notes"

    page.reload()  # the vote was stored, not just drawn
    assert page.locator(".paper-actions .upvote-button .vote-count").inner_text() == "1"

    page.get_by_role("link", name="Trending").first.click()
    page.wait_for_url("**/trending")
    titles = page.locator(".paper-title").all_inner_texts()
    assert titles[0] == "Sparse Attention for Everyone"
    assert titles[1:] == ["Older Voted Paper", "Older Quiet Paper"]
    first = page.locator(".paper-item").first
    assert first.locator(".vote-count").inner_text() == "1"
    assert "1 comment" in first.inner_text()
