"""The "For you" digest section: picks above a threshold, first in the mail, no paper twice."""

from __future__ import annotations

import datetime as dt

from dailypapers.config import Settings
from dailypapers.digest.compose import Composer
from dailypapers.feed.windows import Window
from dailypapers.foryou.digest import PersonalPicks
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
