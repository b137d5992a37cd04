"""Community API through the real app: upvotes, comments, submissions, tokens, rate limits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper
from tests.community_fixtures import add_paper, arxiv_replay, bearer, fresh_window, make_user


def _paper(settings, pid: str) -> Paper:
    with db.session_scope(settings) as session:
        return session.get(Paper, pid)


# --- upvotes ---------------------------------------------------------------------------------
def test_upvote_needs_credentials(client, settings) -> None:
    add_paper(settings, "2503.00001")
    response = client.post("/api/papers/2503.00001/upvote")
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = client.post("/api/papers/2503.00001/upvote", headers=bearer("dp_not-a-real-token"))
    assert bad.status_code == 401
    assert "Invalid or revoked" in bad.json()["error"]
    assert client.delete("/api/papers/2503.00001/upvote").status_code == 401


def test_upvote_is_idempotent_and_keeps_external_votes(client, settings) -> None:
    add_paper(settings, "2503.00002", upvotes=5)
    _, token = make_user(settings, "alice")
    url = "/api/papers/2503.00002/upvote"
    first = client.post(url, headers=bearer(token)).json()
    assert first == {"id": "2503.00002", "upvotes": 6, "upvoted": True}
    assert client.post(url, headers=bearer(token)).json()["upvotes"] == 6
    assert (
        client.post("/api/papers/2503.00002v3/upvote", headers=bearer(token)).json()["upvotes"] == 6
    )
    assert client.delete(url, headers=bearer(token)).json() == {
        "id": "2503.00002", "upvotes": 5, "upvoted": False,
    }  # fmt: skip
    assert client.delete(url, headers=bearer(token)).json()["upvotes"] == 5
    assert _paper(settings, "2503.00002").upvotes == 5


def test_upvote_unknown_paper_is_404(client, settings) -> None:
    _, token = make_user(settings, "alice")
    response = client.post("/api/papers/2503.99999/upvote", headers=bearer(token))
    assert response.status_code == 404
    assert "2503.99999" in response.json()["error"]
    assert client.get("/api/papers/2503.99999/comments").status_code == 404
    assert client.get("/api/papers/not-an-id/comments").status_code == 404


def test_votes_raise_trending_score(client, settings) -> None:
    day = dt.date(2025, 3, 18)
    add_paper(settings, "2503.00010", feed_date=day)
    add_paper(settings, "2503.00011", feed_date=day)
    for name in ("user1", "user2"):
        _, token = make_user(settings, name)
        client.post("/api/papers/2503.00011/upvote", headers=bearer(token))
    listing = client.get("/api/daily_papers", params={"sort": "trending", "date": "2025-03-18"})
    assert [p["paper"]["id"] for p in listing.json()][:2] == ["2503.00011", "2503.00010"]
    assert (
        _paper(settings, "2503.00011").trending_score
        > _paper(settings, "2503.00010").trending_score
    )


# --- comments --------------------------------------------------------------------------------
def test_comment_round_trip_and_counter(client, settings) -> None:
    add_paper(settings, "2503.00003")
    _, alice = make_user(settings, "alice")
    hostile = '<script>alert("x")</script> see https://example.org/a?b=1&c=2.'
    created = client.post(
        "/api/papers/2503.00003/comments", json={"text": hostile}, headers=bearer(alice)
    )
    assert created.status_code == 201
    body = created.json()
    assert body["author"] == "alice" and body["text"] == hostile
    assert _paper(settings, "2503.00003").num_comments == 1
    listed = client.get("/api/papers/2503.00003/comments").json()
    assert [c["id"] for c in listed] == [body["id"]]
    edited = client.patch(
        f"/api/comments/{body['id']}", json={"text": "better"}, headers=bearer(alice)
    )
    assert edited.json()["text"] == "better" and edited.json()["editedAt"]
    assert client.delete(f"/api/comments/{body['id']}", headers=bearer(alice)).status_code == 200
    assert client.get("/api/papers/2503.00003/comments").json() == []
    assert _paper(settings, "2503.00003").num_comments == 0
    again = client.delete(f"/api/comments/{body['id']}", headers=bearer(alice))
    assert again.status_code == 404
    assert _paper(settings, "2503.00003").num_comments == 0


def test_foreign_comment_is_403_but_admin_moderates(client, settings) -> None:
    add_paper(settings, "2503.00004")
    _, alice = make_user(settings, "alice")
    _, mallory = make_user(settings, "mallory")
    _, admin = make_user(settings, "root", admin=True)
    cid = client.post(
        "/api/papers/2503.00004/comments", json={"text": "mine"}, headers=bearer(alice)
    ).json()["id"]
    assert client.delete(f"/api/comments/{cid}", headers=bearer(mallory)).status_code == 403
    patch = client.patch(f"/api/comments/{cid}", json={"text": "pwned"}, headers=bearer(mallory))
    assert patch.status_code == 403
    assert "your own" in patch.json()["error"]
    assert client.get("/api/papers/2503.00004/comments").json()[0]["text"] == "mine"
    assert client.delete(f"/api/comments/{cid}", headers=bearer(admin)).status_code == 200
    assert _paper(settings, "2503.00004").num_comments == 0


def test_bad_comments_are_422(client, settings) -> None:
    add_paper(settings, "2503.00005")
    _, alice = make_user(settings, "alice")
    url = "/api/papers/2503.00005/comments"
    assert client.post(url, json={"text": "   "}, headers=bearer(alice)).status_code == 422
    assert client.post(url, json={"text": "x" * 5001}, headers=bearer(alice)).status_code == 422
    assert client.post(url, json={}, headers=bearer(alice)).status_code == 422
    assert client.post(url, content=b"not json", headers=bearer(alice)).status_code == 422


# --- submissions -----------------------------------------------------------------------------
def test_submit_local_paper_enters_todays_feed_once(client, settings) -> None:
    add_paper(settings, "2503.00006", "Local paper", feed_date=None)
    _, alice = make_user(settings, "alice")
    _, bob = make_user(settings, "bob")
    response = client.post(
        "/api/papers/submit",
        json={"id": "https://arxiv.org/abs/2503.00006v2"},
        headers=bearer(alice),
    )
    assert response.status_code == 201, response.text
    today = dt.datetime.now(dt.UTC).date()
    assert response.json() == {
        "id": "2503.00006", "title": "Local paper", "feedDate": today.isoformat(), "fetched": False,
    }  # fmt: skip
    again = client.post("/api/papers/submit", json={"id": "2503.00006"}, headers=bearer(bob))
    assert again.status_code == 409
    assert today.isoformat() in again.json()["error"]
    feed = client.get("/api/daily_papers", params={"date": today.isoformat()}).json()
    assert [(p["paper"]["id"], p["submittedBy"]["user"]) for p in feed] == [("2503.00006", "alice")]


def test_submit_fetches_unknown_paper_from_arxiv(client, settings) -> None:
    _, alice = make_user(settings, "alice")
    with arxiv_replay({"2511.01234": "Fetched <b>paper</b>"}) as (url, seen):
        settings.arxiv_api_url = url
        ok = client.post(
            "/api/papers/submit", json={"id": "arXiv:2511.01234"}, headers=bearer(alice)
        )
        missing = client.post(
            "/api/papers/submit", json={"id": "2511.09999"}, headers=bearer(alice)
        )
    assert ok.status_code == 201, ok.text
    assert ok.json()["fetched"] is True and ok.json()["title"] == "Fetched <b>paper</b>"
    assert seen == ["2511.01234", "2511.09999"]
    paper = _paper(settings, "2511.01234")
    assert paper.authors == ["Grace Hopper", "Edsger Dijkstra"]
    assert paper.abstract.startswith("An abstract fetched")
    assert missing.status_code == 404
    assert "2511.09999" in missing.json()["error"]


def test_submit_when_arxiv_is_down_is_502(client, settings) -> None:
    _, alice = make_user(settings, "alice")
    settings.arxiv_api_url = "http://127.0.0.1:9/api/query"  # nothing listens on the discard port
    response = client.post("/api/papers/submit", json={"id": "2511.01235"}, headers=bearer(alice))
    assert response.status_code == 502
    assert "arXiv did not answer" in response.json()["error"]


def test_submit_rejects_garbage_and_enforces_daily_cap(client, settings) -> None:
    settings.submissions_per_day = 1
    for pid in ("2503.00007", "2503.00008"):
        add_paper(settings, pid, feed_date=None)
    _, alice = make_user(settings, "alice")
    bad = client.post("/api/papers/submit", json={"id": "hello"}, headers=bearer(alice))
    assert bad.status_code == 422 and "arXiv id" in bad.json()["error"]
    first = client.post("/api/papers/submit", json={"id": "2503.00007"}, headers=bearer(alice))
    assert first.status_code == 201
    second = client.post("/api/papers/submit", json={"id": "2503.00008"}, headers=bearer(alice))
    assert second.status_code == 429
    assert "limit of 1" in second.json()["error"]
    with db.session_scope(settings) as session:
        assert session.scalar(select(FeedEntry).where(FeedEntry.paper_id == "2503.00008")) is None


# --- tokens and rate limits ------------------------------------------------------------------
def test_token_create_list_revoke(client, settings) -> None:
    _, token = make_user(settings, "alice")
    created = client.post("/api/tokens", json={"name": "laptop"}, headers=bearer(token))
    assert created.status_code == 201
    second = created.json()["token"]
    assert second.startswith("dp_")
    assert client.get("/api/me", headers=bearer(second)).json()["name"] == "alice"
    listed = client.get("/api/tokens", headers=bearer(token)).json()
    assert {t["name"] for t in listed} == {"laptop", "test"}
    assert all("token" not in t for t in listed)
    laptop = next(t["id"] for t in listed if t["name"] == "laptop")
    assert client.delete(f"/api/tokens/{laptop}", headers=bearer(token)).status_code == 200
    assert client.get("/api/me", headers=bearer(second)).status_code == 401
    assert client.delete(f"/api/tokens/{laptop}", headers=bearer(token)).status_code == 404


def test_rate_limit_answers_429_with_retry_after(client, settings, monkeypatch) -> None:
    add_paper(settings, "2503.00009")
    _, alice = make_user(settings, "alice")
    url = "/api/papers/2503.00009/comments"
    fresh_window(monkeypatch)
    codes = [
        client.post(url, json={"text": f"c{i}"}, headers=bearer(alice)).status_code
        for i in range(11)
    ]
    assert codes == [201] * 10 + [429]
    limited = client.post(url, json={"text": "more"}, headers=bearer(alice))
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Too many comment requests" in limited.json()["error"]
    _, bob = make_user(settings, "bob")  # counted per user: others are unaffected
    assert client.post(url, json={"text": "hi"}, headers=bearer(bob)).status_code == 201


def test_rate_limits_can_be_switched_off(client, settings) -> None:
    settings.rate_limit_enabled = False
    add_paper(settings, "2503.00012")
    _, alice = make_user(settings, "alice")
    url = "/api/papers/2503.00012/comments"
    codes = {
        client.post(url, json={"text": "x"}, headers=bearer(alice)).status_code for _ in range(12)
    }
    assert codes == {201}


def test_claim_and_links_through_the_api(client, settings) -> None:
    from dailypapers.community.claims import decide_claim
    from dailypapers.store.models import AuthorshipClaim

    add_paper(settings, "2503.00013")
    _, author = make_user(settings, "author")
    links = {"githubRepo": "https://github.com/a/b", "projectPage": "https://a.example/"}
    url = "/api/papers/2503.00013/links"
    assert client.put(url, json=links, headers=bearer(author)).status_code == 403
    claimed = client.post("/api/papers/2503.00013/claim", headers=bearer(author))
    assert claimed.json() == {"id": "2503.00013", "claim": "pending"}
    assert client.put(url, json=links, headers=bearer(author)).status_code == 403
    with db.session_scope(settings) as session:
        claim_id = session.scalar(select(AuthorshipClaim.id))
        decide_claim(session, claim_id, approve=True)
    assert client.put(url, json=links, headers=bearer(author)).json()["githubRepo"] == (
        "https://github.com/a/b"
    )
    hostile = {"githubRepo": "javascript:alert(1)"}
    assert client.put(url, json=hostile, headers=bearer(author)).status_code == 422
    cleared = client.put(url, json={"githubRepo": "", "projectPage": None}, headers=bearer(author))
    assert cleared.json() == {"id": "2503.00013", "githubRepo": None, "projectPage": None}
