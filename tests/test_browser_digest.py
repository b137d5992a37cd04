"""In real headless Chromium: subscribe from the footer of the feed, confirm from the mail,
change topics on the preferences page, unsubscribe."""

from __future__ import annotations

import re

from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.digest_fixtures import smtp_server_fixture, text_part  # noqa: F401

pytestmark = MARKS


def test_subscribe_confirm_manage_unsubscribe(settings, smtp_server, live_server, page):
    settings.smtp_port = smtp_server.port  # the live app shares this settings object
    settings.base_url = live_server
    page.goto(live_server + "/")
    footer = page.locator("footer form.subscribe-form")
    footer.get_by_label("E-mail address").fill("reader@example.org")
    footer.get_by_label("How often").select_option("weekly")
    footer.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    [mail] = smtp_server.wait_for(1)
    confirm_url = re.search(r"http://\S+/subscribe/confirm/\S+", text_part(mail.message))
    assert confirm_url is not None
    page.goto(confirm_url.group(0))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Subscription confirmed").wait_for()

    page.get_by_role("link", name="Change frequency or topics").click()
    page.get_by_label("Topics to follow").fill("diffusion\ncategory:cs.CL")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    assert page.get_by_label("weekly").is_checked()

    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
