"""The personal ranking over a real database (SQLite and PostgreSQL): API, marks, rules, and
exact forgetting against a fresh user built without the removed signal."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from dailypapers.community import votes
from dailypapers.config import Settings
from dailypapers.foryou import personal, service
from dailypapers.search.contract import contract_for
from dailypapers.store import db
from dailypapers.store.models import User
from dailypapers.store.models_foryou import FeedToken, ForYouRule, NotInterested
from tests.community_fixtures import bearer, make_user
from tests.foryou_fixtures import store_world, world

PAPERS, VECS = world(160, dim=384)
IDS = [p["id"] for p in PAPERS]
LAST = dt.date.fromisoformat(PAPERS[-1]["first_listing_date"])  # 20 papers a day, 8 days
WEEK = "{}-W{:02d}".format(*LAST.isocalendar()[:2])


@pytest.fixture
def stored(settings: Settings) -> Settings:
    store_world(settings, PAPERS, VECS)
    return settings


def upvote(settings: Settings, user_id: int, *rows: int) -> None:
    with db.session_scope(settings) as session:
        for r in rows:
            votes.upvote(session, settings, user_id, IDS[r])


def ranking(settings: Settings, user_id: int) -> list[tuple[str, float]]:
    contract = contract_for(settings.embedding_model)
    with db.session_scope(settings) as session:
        out = personal.for_user(session, user_id, LAST - dt.timedelta(days=3), LAST,
                                contract=contract.key, dim=contract.dim)  # fmt: skip
    return [(s.paper_id, s.score) for s in out.items]


def test_for_you_api_ranks_with_scores_and_reasons(stored: Settings, client: TestClient) -> None:
    uid, token = make_user(stored, "reader")
    upvote(stored, uid, 0, 4, 8, 12)  # robotics
    answer = client.get(f"/api/me/for-you?date={LAST}&limit=5", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    items = answer.json()
    assert len(items) == 5
    assert {"paper", "title", "summary", "publishedAt", "score", "reasons"} <= set(items[0])
    assert all(i["title"].startswith("Robots") for i in items)
    assert items[0]["score"] >= items[-1]["score"]
    assert items[0]["reasons"][0].endswith("which you upvoted")
    week = client.get(f"/api/me/for-you?week={WEEK}&limit=100", headers=bearer(token)).json()
    everything = client.get("/api/me/for-you?since=2025-01-01&limit=100&p=1", headers=bearer(token))
    assert len(week) > 5 and everything.status_code == 200 and len(everything.json()) == 56
    assert client.get("/api/me/for-you").status_code == 401
    bad = client.get("/api/me/for-you?date=yesterday", headers=bearer(token))
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
    both = client.get(f"/api/me/for-you?date={LAST}&since={LAST}", headers=bearer(token))
    assert both.status_code == 400


def test_not_interested_hides_and_undo_restores(stored: Settings, client: TestClient) -> None:
    uid, token = make_user(stored, "picky")
    upvote(stored, uid, 0, 4, 8)
    url = f"/api/me/for-you?date={LAST}&limit=100"
    first = client.get(url, headers=bearer(token)).json()[0]["paper"]["id"]
    made = client.post("/api/me/not-interested", json={"paper_id": first}, headers=bearer(token))
    assert made.status_code == 201 and made.json()["notInterested"] is True
    assert first not in [i["paper"]["id"] for i in client.get(url, headers=bearer(token)).json()]
    undo = client.delete(f"/api/me/not-interested/{first}", headers=bearer(token))
    assert undo.status_code == 200 and undo.json()["removed"] is True
    assert client.get(url, headers=bearer(token)).json()[0]["paper"]["id"] == first
    missing = client.post("/api/me/not-interested", json={"paper_id": "2999.99999"},
                          headers=bearer(token))  # fmt: skip
    assert missing.status_code == 404


def test_rules_through_the_api(stored: Settings, client: TestClient) -> None:
    uid, token = make_user(stored, "ruler")
    upvote(stored, uid, 0, 4, 8)
    made = client.post("/api/me/for-you/rules", json={"action": "always", "query": "molecules"},
                       headers=bearer(token))  # fmt: skip
    assert made.status_code == 201, made.text
    top = client.get(f"/api/me/for-you?date={LAST}", headers=bearer(token)).json()[0]
    assert "molecules" in top["summary"] and top["reasons"][0] == "matches your rule “molecules”"
    bad = client.post("/api/me/for-you/rules", json={"action": "never", "query": "since:soon"},
                      headers=bearer(token))  # fmt: skip
    assert bad.status_code == 400 and "cannot be read" in bad.json()["error"]
    rule_id = made.json()["id"]
    assert (
        client.delete(f"/api/me/for-you/rules/{rule_id}", headers=bearer(token)).status_code == 200
    )
    assert client.get("/api/me/for-you/rules", headers=bearer(token)).json() == []


def test_exact_forgetting_matches_a_fresh_user(stored: Settings) -> None:
    """Remove an upvote and a "not interested" mark: the ranking equals a fresh user's who
    never had them, to the last digit of every score."""
    old, _ = make_user(stored, "old")
    upvote(stored, old, 0, 4, 8, 1)
    with db.session_scope(stored) as session:
        service.mark_not_interested(session, old, IDS[2])
        service.add_rule(session, old, "never", "gripper")
    with_signals = ranking(stored, old)
    with db.session_scope(stored) as session:
        votes.remove_upvote(session, stored, old, IDS[1])
        service.unmark_not_interested(session, old, IDS[2])
        service.delete_rule(session, old, session.query(ForYouRule).one().id)
    fresh, _ = make_user(stored, "fresh")
    upvote(stored, fresh, 0, 4, 8)
    after = ranking(stored, old)
    assert after != with_signals
    assert after == ranking(stored, fresh)


def test_deleting_the_account_deletes_its_signals(stored: Settings) -> None:
    uid, _ = make_user(stored, "leaver")
    with db.session_scope(stored) as session:
        service.mark_not_interested(session, uid, IDS[3])
        service.add_rule(session, uid, "always", "graph")
        service.new_feed_token(session, uid)
    with db.session_scope(stored) as session:
        session.delete(session.get(User, uid))
    with db.session_scope(stored) as session:
        assert session.query(NotInterested).count() == 0
        assert session.query(ForYouRule).count() == 0


def test_export_holds_for_you_data_and_deleting_the_account_removes_it(
    stored: Settings, client: TestClient
) -> None:
    uid, token = make_user(stored, "exporter")
    with db.session_scope(stored) as session:
        service.mark_not_interested(session, uid, IDS[3])
        service.add_rule(session, uid, "always", "graph")
        secret = service.new_feed_token(session, uid)
    answer = client.get("/api/me/export", headers=bearer(token))
    assert answer.status_code == 200
    mine = answer.json()["forYou"]
    assert [m["paperId"] for m in mine["notInterested"]] == [IDS[3]]
    assert [(r["action"], r["query"]) for r in mine["rules"]] == [("always", "graph")]
    assert mine["feedLink"]["exists"] is True
    assert secret not in answer.text and service.token_hash(secret) not in answer.text
    gone = client.request("DELETE", "/api/me", json={"confirm": "exporter"}, headers=bearer(token))
    assert gone.status_code == 200, gone.text
    with db.session_scope(stored) as session:
        assert session.query(NotInterested).filter_by(user_id=uid).count() == 0
        assert session.query(ForYouRule).filter_by(user_id=uid).count() == 0
        assert session.query(FeedToken).filter_by(user_id=uid).count() == 0
        with pytest.raises(service.NotFound):
            service.feed_token_user(session, secret)


def test_feed_tokens_are_revocable(stored: Settings) -> None:
    uid, _ = make_user(stored, "feeder")
    with db.session_scope(stored) as session:
        first = service.new_feed_token(session, uid)
        assert service.feed_token_user(session, first) == uid
        second = service.new_feed_token(session, uid)
        assert service.feed_token_user(session, second) == uid
        with pytest.raises(service.NotFound):
            service.feed_token_user(session, first)
        service.revoke_feed_token(session, uid)
        with pytest.raises(service.NotFound):
            service.feed_token_user(session, second)
