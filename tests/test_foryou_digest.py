"""The "For you" digest section: picks above a threshold, first in the mail, no paper twice."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.config import Settings
from dailypapers.digest.compose import Composer
from dailypapers.feed.windows import Window
from dailypapers.foryou import digest as foryou_digest
from dailypapers.foryou import service
from dailypapers.foryou.digest import PersonalPicks
from dailypapers.foryou.personal import load_signals, ranked_window, stamp
from dailypapers.store import db
from dailypapers.store.models import Subscription
from tests.community_fixtures import make_user
from tests.foryou_fixtures import store_world
from tests.test_foryou_api import IDS, LAST, PAPERS, VECS, upvote

START = LAST - dt.timedelta(days=1)


def test_picks_respect_the_threshold(settings: Settings) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "mail")
    nobody, _ = make_user(settings, "nobody")
    upvote(settings, uid, 0, 4, 8, 12)
    with db.session_scope(settings) as session:
        picks = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4)
        chosen = picks.picks(uid, START, LAST, set())
        assert len(chosen) == 4 and all(IDS.index(c) % 4 == 0 for c in chosen)
        assert picks.picks(uid, START, LAST, {chosen[0]})[0] == chosen[1]
        assert picks.picks(nobody, START, LAST, set()) == []  # no signal: no section
        strict = PersonalPicks(session, settings.embedding_model, threshold=50.0, limit=4)
        assert strict.picks(uid, START, LAST, set()) == []  # nothing relevant: no section


def test_for_you_section_comes_first_without_repeats(settings: Settings) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "sub")
    upvote(settings, uid, 0, 4, 8, 12)
    with db.session_scope(settings) as session:
        sub = Subscription(email="sub@example.org", frequency="daily", status="confirmed",
                           topics=["category:cs.RO"])  # fmt: skip
        session.add(sub)
        session.flush()
        picks = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=3)

        def picker(sid: int, window: Window, used: set[str]) -> list[str]:
            return picks.picks(uid, window.start, window.end, used) if sid == sub.id else []

        digest = Composer(session, settings, LAST, for_you=picker).compose(sub, set())
        assert digest is not None
        labels = [s.label for s in digest.sections]
        assert labels[0] == "For you" and len(digest.sections[0].papers) == 3
        assert len(digest.paper_ids) == len(set(digest.paper_ids))
        assert "cs.RO" in " ".join(labels[1:])
        plain = Composer(session, settings, LAST).compose(sub, set())
        assert plain is not None and plain.sections[0].label != "For you"


def test_picks_ranked_ahead_in_workers_equal_picks_ranked_inline(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "ahead")
    upvote(settings, uid, 0, 4, 8, 12)
    with db.session_scope(settings) as session:
        inline = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4)
        expected = inline.picks(uid, START, LAST, set())
    monkeypatch.setattr(foryou_digest, "PREFETCH_MIN", 1)
    with db.session_scope(settings) as session:
        ahead = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4)
        ahead.prefetch(settings, [(uid, START, LAST)])
        try:
            assert ahead._pool is not None  # ranked in a worker process
            assert ahead.picks(uid, START, LAST, set()) == expected
            assert ahead._pool is not None and not ahead._pending  # taken from the worker
        finally:
            ahead.close()


class Ahead:
    """Stands for the workers' ordered results (``IMapIterator.next(timeout)``)."""

    def __init__(self, results: list) -> None:
        self.results = iter(results)

    def next(self, timeout: float) -> object:
        found = next(self.results)
        if isinstance(found, Exception):
            raise found
        return found


def test_a_failed_worker_falls_back_to_ranking_inline(settings: Settings) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "fallback")
    upvote(settings, uid, 0, 4, 8, 12)
    with db.session_scope(settings) as session:
        expected = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4).picks(
            uid, START, LAST, set()
        )
        picks = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4)
        picks._pending = {(uid, START, LAST)}
        picks._ahead = Ahead([RuntimeError("worker died")])  # type: ignore[assignment]
        assert picks.picks(uid, START, LAST, set()) == expected
        assert picks._ahead is None and not picks._pending


def test_a_signal_removed_after_ranking_ahead_is_not_mailed(settings: Settings) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "forgets")
    upvote(settings, uid, 0, 4, 8, 12)
    with db.session_scope(settings) as session:
        top = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4).picks(
            uid, START, LAST, set()
        )[0]
        service.mark_not_interested(session, uid, top)
    with db.session_scope(settings) as session:  # ranked ahead with the mark
        stale = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4)
        window = ranked_window(session, None, load_signals(session, uid),
                               stale.candidates(START, LAST), contract=stale.key, dim=stale.dim,
                               as_of=LAST, config=foryou_digest.DIGEST_CONFIG)  # fmt: skip
        assert top not in window.ranked.ids
        stale._pending = {(uid, START, LAST)}
        stale._ahead = Ahead([((uid, START, LAST), foryou_digest.Prepared(
            window.signals, window.stamp, window.ranked))])  # fmt: skip
        service.unmark_not_interested(session, uid, top)  # removed before the mail is composed
        session.flush()
        picks = stale.picks(uid, START, LAST, set())
    with db.session_scope(settings) as session:
        fresh = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=4)
        assert picks == fresh.picks(uid, START, LAST, set()) and picks[0] == top


def test_a_ranking_made_with_other_papers_is_ranked_again(settings: Settings) -> None:
    """A ranking made ahead counts only with the run's papers: one carrying another stamp (the
    papers changed, or it is not of this database) is ranked again; after the papers change,
    rankings of the new papers are taken."""
    from sqlalchemy import update

    from dailypapers.foryou.ranker import Ranked
    from dailypapers.store.base import utcnow
    from dailypapers.store.models import Paper

    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "stamps")
    upvote(settings, uid, 0, 4, 8, 12)
    request = (uid, START, LAST)

    def made_ahead(picks: PersonalPicks, made_with: tuple, ids: tuple[str, ...]) -> None:
        signals = load_signals(picks.session, uid)  # a marker ranking: these ids, in this order
        ranked = Ranked(ids, tuple(10.0 - k for k in range(len(ids))), (False,) * len(ids))
        picks._pending.add(request)
        picks._ahead = Ahead([(request, foryou_digest.Prepared(signals, made_with, ranked))])  # type: ignore[assignment]

    with db.session_scope(settings) as session:
        picks = PersonalPicks(session, settings.embedding_model, threshold=1.0, limit=2)
        inline = picks.picks(uid, START, LAST, set())
        current = stamp(session, picks.key)
        marker = (IDS[1], IDS[2])
        assert set(inline).isdisjoint(marker)
        made_ahead(picks, current, marker)
        assert picks.picks(uid, START, LAST, set()) == list(marker)  # the run's papers: taken
        made_ahead(picks, (*current[:2], "another|stamp"), marker)
        assert picks.picks(uid, START, LAST, set()) == inline  # ranked again
        session.execute(update(Paper).where(Paper.id == IDS[3]).values(updated_at=utcnow()))
        session.flush()
        changed = stamp(session, picks.key)
        assert changed != current
        made_ahead(picks, current, marker)  # made before the change, checked after it
        assert picks.picks(uid, START, LAST, set()) == list(marker)  # the run's start papers
        made_ahead(picks, changed, marker)
        assert picks.picks(uid, START, LAST, set()) == list(marker)  # the new papers: taken
        made_ahead(picks, current, marker)
        assert picks.picks(uid, START, LAST, set()) == inline  # the old ones no longer
