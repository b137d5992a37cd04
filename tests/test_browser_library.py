"""In real headless Chromium: sign up, save three papers from the feed (one without
JavaScript), add a note and a tag, create a collection, mark read and hide read, follow an
author from a paper page and a search, export BibTeX and import it into a second account."""

from __future__ import annotations

from dailypapers.store import db
from dailypapers.store.models_library import Follow
from dailypapers.store.queries.library import LibraryFilter, library_page
from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.community_fixtures import confirmation_token
from tests.library_fixtures import add_known_papers

pytestmark = MARKS
PASSWORD = "a long enough password"


def _signup(page, base: str, name: str, settings) -> None:
    page.goto(base + "/signup")
    form = page.locator("main form")
    form.get_by_label("User name").fill(name)
    form.get_by_label("Email").fill(f"{name}@example.org")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    assert page.locator("h1").inner_text() == "Check your inbox"
    token = confirmation_token(settings, f"{name}@example.org")  # the link mailed to them
    page.goto(f"{base}/signup/confirm/{token}")
    page.get_by_role("button", name="Create my account").click()
    assert page.locator(".site-header .account-name:visible").inner_text() == name


def _library(settings, username: str) -> dict[str, tuple[list[str], str]]:
    from dailypapers.community.users import find_user

    with db.session_scope(settings) as s:
        user = find_user(s, username)
        assert user is not None
        items, _ = library_page(s, user.id, LibraryFilter(limit=200))
        return {i.paper.id: (i.tags, i.note) for i in items}


def test_library_flow(settings, live_server, page, tmp_path) -> None:
    add_known_papers(settings)
    _signup(page, live_server, "grace", settings)
    page.goto(live_server + "/date/2025-03-18")
    items = page.locator(".paper-item")
    assert items.count() == 4

    # Two saves in place (JavaScript), one with a plain form post (JavaScript off).
    for pid in ("1706\\.03762", "2006\\.11239"):
        page.locator(f"#paper-{pid} .save-button").click()
        page.wait_for_selector(f"#paper-{pid} .save-button[aria-pressed=true]")
    assert page.url.endswith("/date/2025-03-18")  # no navigation: toggled in place
    plain = page.context.browser.new_context(java_script_enabled=False)
    plain.add_cookies(page.context.cookies())
    nojs = plain.new_page()
    nojs.goto(live_server + "/date/2025-03-18?sort=top")
    nojs.locator("#paper-2207\\.12598 .save-button").click()
    nojs.wait_for_url("**/date/2025-03-18?sort=top#paper-2207.12598")
    assert nojs.locator("#paper-2207\\.12598 .save-button").get_attribute("aria-pressed") == "true"
    plain.close()

    # A note and a tag, then a new collection holding that paper.
    page.goto(live_server + "/library")
    assert page.locator(".library-list > li").count() == 3
    entry = page.locator("#meta-1706\\.03762")
    entry.locator("summary").click()
    entry.get_by_label("Tags (comma separated)").fill("transformers")
    entry.get_by_label("Note").fill("Read **section 3** & the appendix")
    entry.get_by_role("button", name="Save changes").click()
    assert page.locator("#meta-1706\\.03762 .note strong").inner_text() == "section 3"
    page.get_by_label("New collection").fill("Thesis")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/library/thesis")
    page.goto(live_server + "/library")
    entry = page.locator("#meta-2006\\.11239")
    entry.locator("summary").click()
    entry.get_by_label("Add to collection").select_option("thesis")
    entry.get_by_role("button", name="Save changes").click()
    page.goto(live_server + "/library/thesis")
    assert page.locator(".library-list > li").count() == 1

    # Mark read in place, then hide read papers on the feed.
    page.goto(live_server + "/date/2025-03-18")
    page.locator("#paper-2005\\.14165 .read-button").click()
    page.wait_for_selector("#paper-2005\\.14165.is-read")
    page.get_by_role("button", name="Hide read papers").click()
    page.wait_for_selector("#paper-2005\\.14165", state="hidden")
    assert page.locator(".paper-item:visible").count() == 3

    # Follow an author from a paper page, and a search.
    page.goto(live_server + "/papers/2006.11239")
    page.get_by_role("button", name="Follow Jonathan Ho").click()
    assert page.get_by_role("button", name="Following Jonathan Ho").is_visible()
    page.goto(live_server + "/search?q=diffusion")
    page.get_by_role("button", name="Follow this search").click()
    page.goto(live_server + "/following")
    assert "Jonathan Ho" in page.inner_text("main") and "diffusion" in page.inner_text("main")
    with db.session_scope(settings) as s:
        from sqlalchemy import select

        assert sorted(s.scalars(select(Follow.kind))) == ["author", "search"]

    # Export BibTeX, then import it into a second account.
    page.goto(live_server + "/library")
    with page.expect_download() as download:
        page.get_by_role("link", name="BibTeX", exact=True).click()
    exported = tmp_path / "grace.bib"
    download.value.save_as(exported)
    assert exported.read_text().count("@misc{") == 3
    page.get_by_role("button", name="Log out").click()
    _signup(page, live_server, "hopper", settings)
    page.goto(live_server + "/library/import")
    page.get_by_label("File").set_input_files(str(exported))
    page.get_by_role("button", name="Preview").click()
    assert "3 matched" in page.inner_text(".import-counts").replace("\n", " ")
    page.get_by_role("button", name="Import 3 papers").click()
    page.wait_for_url("**/library")
    assert page.locator(".library-list > li").count() == 3
    assert _library(settings, "hopper") == _library(settings, "grace")
