"""The trending score: SQL and Python agree, it decays with age, votes and comments move it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dailypapers.store import db, trending
from dailypapers.store.models import Paper
from dailypapers.store.trending import refresh_scores, trending_score
from tests.community_fixtures import add_paper


def test_formula_halves_votes_per_half_life(settings) -> None:
    day = dt.date(2025, 3, 18)
    today = trending_score(7, 0, day, settings)
    assert trending_score(15, 0, day - dt.timedelta(days=1), settings) == pytest.approx(today)
    assert (
        trending_score(8, 0, day, settings)
        > today
        > trending_score(100, 0, day - dt.timedelta(days=5), settings)
    )
    assert trending_score(0, 2, day, settings) == pytest.approx(trending_score(1, 0, day, settings))
    assert trending_score(-5, 0, None, settings) == 0.0


@pytest.mark.parametrize("python", [False, True], ids=["sql", "python-fallback"])
def test_refresh_matches_the_formula(settings, monkeypatch, python) -> None:
    if python:
        monkeypatch.setattr(trending, "_sql_math", lambda url: False)
    specs = [("2506.00001", dt.date(2025, 3, 18), 0), ("2506.00002", dt.date(2024, 1, 2), 40),
             ("2506.00003", None, 3)]  # fmt: skip
    for pid, day, votes in specs:
        add_paper(settings, pid, feed_date=day, upvotes=votes)
    with db.session_scope(settings) as session:
        assert refresh_scores(session, settings) == 3
    with db.session_scope(settings) as session:
        rows = {p.id: p for p in session.scalars(select(Paper))}
    for pid, day, votes in specs:
        expected = trending_score(votes, 0, day or dt.date(2025, 3, 17), settings)  # published_on
        assert rows[pid].trending_score == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("python", [False, True], ids=["sql", "python-fallback"])
def test_votes_and_comments_rescore_their_paper(client, settings, monkeypatch, python) -> None:
    from tests.community_fixtures import bearer, make_user

    if python:
        monkeypatch.setattr(trending, "_sql_math", lambda url: False)
    day = dt.date(2025, 3, 18)
    add_paper(settings, "2506.00004", feed_date=day, upvotes=2)
    _, token = make_user(settings, "alice")
    client.post("/api/papers/2506.00004/upvote", headers=bearer(token))
    client.post("/api/papers/2506.00004/comments", json={"text": "hi"}, headers=bearer(token))
    with db.session_scope(settings) as session:
        paper = session.get(Paper, "2506.00004")
        assert (paper.upvotes, paper.num_comments) == (3, 1)
        assert paper.trending_score == pytest.approx(trending_score(3, 1, day, settings), abs=1e-6)
