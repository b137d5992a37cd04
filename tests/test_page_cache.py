"""Whole-page cache for anonymous visitors, ETag/Last-Modified and 304s on pages and the API."""

from __future__ import annotations

import datetime as dt
import re
import time

from fastapi.testclient import TestClient

from dailypapers.store import db
from tests.community_fixtures import PASSWORD, make_user
from tests.factories import add_papers, make_record
from tests.querylog import recorded_statements

DAY = dt.date(2025, 3, 18)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _fill(settings) -> None:
    add_papers(settings, [make_record(arxiv_id=f"2503.0000{i}", title=f"Paper number {i}",
                                      feed_date=DAY) for i in range(1, 4)])  # fmt: skip


def _settled(client: TestClient, path: str, **params: str):
    """A response whose ETag is current: revalidated until it answers 304 (at most ~5 s).

    The start-up sync of the search index may move the index state in the ETag once."""
    page = client.get(path, params=params)
    for _ in range(25):
        again = client.get(path, params=params, headers={"If-None-Match": page.headers["etag"]})
        if again.status_code == 304:
            return page
        page = again
        time.sleep(0.2)
    raise AssertionError(f"{path}: the ETag never settled")


def test_anonymous_pages_come_from_the_cache_with_each_visitors_token(settings, app) -> None:
    _fill(settings)
    engine = db.get_engine(settings)
    with TestClient(app) as first, TestClient(app) as second:
        first_page = first.get("/date/2025-03-18")
        with recorded_statements(engine) as statements:
            second_page = second.get("/date/2025-03-18")
    assert first_page.status_code == second_page.status_code == 200
    assert "Paper number 2" in second_page.text
    assert "csrf-placeholder" not in second_page.text
    # Same page, each visitor's own CSRF token (forms work), and no query but the version check.
    assert _token(first_page.text) != _token(second_page.text)
    assert first.cookies.get("dp_session") != second.cookies.get("dp_session")
    assert len(statements) <= 1  # the data-version check (tests check on every request)


def test_cached_page_tokens_are_accepted_by_forms(settings, app) -> None:
    _fill(settings)
    make_user(settings, "carol")
    with TestClient(app) as warm:
        warm.get("/date/2025-03-18")  # fills the cache
    with TestClient(app) as client:
        token = _token(client.get("/date/2025-03-18").text)
        form = {"login": "carol", "password": PASSWORD, "csrf_token": token}
        response = client.post("/login", data=form, follow_redirects=False)
        assert response.status_code == 303
        page = client.get("/date/2025-03-18")
        assert "carol" in page.text  # logged in: the page is rendered for this user
        assert page.headers["cache-control"] == "private, no-cache"


def test_etag_gives_304_until_the_data_changes(settings, client) -> None:
    _fill(settings)
    first = _settled(client, "/date/2025-03-18")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "private, no-cache"
    again = client.get("/date/2025-03-18", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    since = client.get("/date/2025-03-18", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = client.get("/date/2025-03-19", headers={"If-None-Match": etag})
    assert other.status_code == 200
    add_papers(settings, [make_record(arxiv_id="2503.00009", title="A late paper", feed_date=DAY)])
    changed = client.get("/date/2025-03-18", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "A late paper" in changed.text
    assert changed.headers["etag"] != etag


def test_paper_page_304_and_404_not_cached(settings, client) -> None:
    _fill(settings)
    client.get("/papers/2503.00002")  # loads the search index: its state is part of the key
    page = _settled(client, "/papers/2503.00001")
    assert page.status_code == 200
    again = client.get("/papers/2503.00001", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/papers/2503.09999").status_code == 404
    add_papers(settings, [make_record(arxiv_id="2503.09999", title="Now here", feed_date=DAY)])
    assert client.get("/papers/2503.09999").status_code == 200


def test_api_daily_papers_etag(settings, client) -> None:
    _fill(settings)
    first = _settled(client, "/api/daily_papers", date="2025-03-18")
    assert first.status_code == 200 and len(first.json()) == 3
    etag = first.headers["etag"]
    again = client.get("/api/daily_papers", params={"date": "2025-03-18"},
                       headers={"If-None-Match": etag})  # fmt: skip
    assert again.status_code == 304
    other = client.get("/api/daily_papers", params={"date": "2025-03-17"},
                       headers={"If-None-Match": etag})  # fmt: skip
    assert other.status_code == 200 and other.headers["etag"] != etag
    since = client.get("/api/daily_papers", params={"date": "2025-03-18"},
                       headers={"If-Modified-Since": first.headers["last-modified"]})  # fmt: skip
    assert since.status_code == 304
    assert client.get("/api/daily_papers", params={"date": "2025-03-18"},
                      headers={"If-Modified-Since": "garbage"}).status_code == 200  # fmt: skip


def test_logged_in_readers_get_the_shared_page_with_their_parts(settings, app) -> None:
    """The personalised copy is byte for byte what rendering the page for the reader gives."""
    _fill(settings)
    make_user(settings, "dora", admin=True)
    with TestClient(app) as client:
        token = _token(client.get("/login").text)
        form = {"login": "dora", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        token = _token(client.get("/date/2025-03-18").text)  # logging in starts a new session
        for pid in ("2503.00001", "2503.00003"):
            voted = client.post(f"/papers/{pid}/upvote", data={"csrf_token": token},
                                follow_redirects=False)  # fmt: skip
            assert voted.status_code == 303
        for path in ("/date/2025-03-18", "/trending", "/week?sort=new"):
            shared = client.get(path)
            app.state.personalize_pages = False
            rendered = client.get(path)
            app.state.personalize_pages = True
            assert shared.text == rendered.text, path
            assert shared.text.count('aria-pressed="true"') == 2
            assert 'href="/admin"' in shared.text and "dora" in shared.text
            assert "Log in" not in shared.text
    with TestClient(app) as anonymous:
        page = anonymous.get("/date/2025-03-18").text
        assert 'aria-pressed="true"' not in page and "dora" not in page


def test_an_unknown_per_user_helper_turns_sharing_off_for_logged_in_readers(
    settings, app, monkeypatch
) -> None:
    """A template global added later (e.g. a per-user 'saved' state) is never shared blindly."""
    from dailypapers.web import page_cache
    from dailypapers.web.templating import templates

    monkeypatch.setattr(page_cache, "_KNOWN_GLOBALS", set(templates.env.globals))
    assert page_cache._all_known()
    monkeypatch.setitem(templates.env.globals, "is_new_helper", lambda paper_id: True)
    assert not page_cache._all_known()
    monkeypatch.setattr(page_cache, "_personalizers", [])
    page_cache.register_personalizer({"is_new_helper"}, lambda body, user, request: body)
    assert page_cache._all_known()
