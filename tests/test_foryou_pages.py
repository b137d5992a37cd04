"""The /for-you pages without JavaScript: ranking with reasons, not-interested with undo,
rules, the cold-start panel and the private Atom feed."""

from __future__ import annotations

import re

import feedparser
from fastapi.testclient import TestClient

from dailypapers.config import Settings
from tests.community_fixtures import make_user
from tests.foryou_fixtures import store_world
from tests.test_community_pages import csrf, login
from tests.test_foryou_api import LAST, PAPERS, VECS, upvote

DAY = f"/for-you/day/{LAST}"


def titles(html: str) -> list[str]:
    return re.findall(r'<h[23] class="paper-title"><a href="/papers/[^"]+">([^<]+)</a>', html)


def test_for_you_page_flow(settings: Settings, client: TestClient) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "pat")
    login(client, "pat")
    cold = client.get(DAY)
    assert cold.status_code == 200 and "Tell us what you read" in cold.text
    assert 'aria-current="page">For you</a>' in cold.text
    upvote(settings, uid, 0, 4, 8)
    page = client.get(DAY)
    assert "Tell us what you read" not in page.text
    shown = titles(page.text)
    assert shown[0].startswith("Robots") and "which you upvoted" in page.text
    first_id = re.search(r'name="paper_id" value="([^"]+)"', page.text).group(1)
    token = csrf(client, DAY)
    hidden = client.post("/for-you/not-interested", follow_redirects=False,
                         data={"paper_id": first_id, "next": DAY, "csrf_token": token})  # fmt: skip
    assert hidden.status_code == 303
    after = client.get(hidden.headers["location"])
    assert titles(after.text)[0] != shown[0] and "Undo" in after.text
    client.post("/for-you/not-interested/undo", data={"paper_id": first_id, "next": DAY,
                                                      "csrf_token": token})  # fmt: skip
    assert titles(client.get(DAY).text)[0] == shown[0]
    client.post("/for-you/rules", data={"action": "always", "query": "molecules", "next": DAY,
                                        "csrf_token": token})  # fmt: skip
    ruled = client.get(DAY).text
    assert titles(ruled)[0].startswith("Graphs") and "matches your rule" in ruled
    bad = client.post("/for-you/rules", data={"action": "never", "query": "since:x",
                                              "csrf_token": token})  # fmt: skip
    assert bad.status_code == 400 and "cannot be read" in bad.text
    assert client.post("/for-you/rules", data={"action": "always", "query": "x"}).status_code == 403


def test_private_feed(settings: Settings, client: TestClient) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "rss")
    upvote(settings, uid, 1, 5, 9)
    login(client, "rss")
    made = client.post("/for-you/feed-token", data={"csrf_token": csrf(client, DAY)})
    url = re.search(r'<code class="foryou-feed-url">([^<]+)</code>', made.text).group(1)
    path = url.removeprefix("http://testserver")
    feed = feedparser.parse(client.get(path).content)
    assert feed.entries and feed.entries[0].title.startswith("Language")
    client.post("/for-you/feed-token/revoke", data={"csrf_token": csrf(client, DAY)})
    assert client.get(path).status_code == 404
    assert client.get("/for-you.xml?token=nope").status_code == 404
    client.cookies.clear()
    assert client.get(DAY, follow_redirects=False).status_code == 303
