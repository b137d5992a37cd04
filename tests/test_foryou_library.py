"""Library signals in the ranking (saves, imports, follows) and the digest of a linked account."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from pathlib import Path

from dailypapers.config import Settings
from dailypapers.digest.send import send_digests
from dailypapers.library import follows, saves
from dailypapers.store import db
from dailypapers.store.models import Subscription
from dailypapers.store.models_library import SubscriptionLink
from tests.community_fixtures import make_user
from tests.foryou_fixtures import store_world
from tests.test_foryou_api import IDS, LAST, PAPERS, VECS, ranking


def test_saves_imports_and_follows_rank_and_explain(settings: Settings) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "lib")
    with db.session_scope(settings) as session:
        saves.save_paper(session, uid, IDS[0])
        saves.save_paper(session, uid, IDS[4], source="import")
        saves.save_paper(session, uid, IDS[8])
        follows.follow(session, uid, "category", "cs.CV")
    from dailypapers.foryou import personal
    from dailypapers.search import contract_for

    contract = contract_for(settings.embedding_model)
    with db.session_scope(settings) as session:
        signals = personal.load_signals(session, uid)
        assert sorted(s.kind for s in signals.papers) == ["import", "save", "save"]
        out = personal.for_user(session, uid, LAST, LAST, contract=contract.key, dim=contract.dim)
    reasons = [r for s in out.items for r in s.reasons]
    assert any(r.endswith("in your library") for r in reasons)
    assert "in cs.CV, which you follow" in reasons
    with db.session_scope(settings) as session:
        saves.unsave_paper(session, uid, IDS[8])
    fresh, _ = make_user(settings, "fresh-lib")
    with db.session_scope(settings) as session:
        saves.save_paper(session, fresh, IDS[0])
        saves.save_paper(session, fresh, IDS[4], source="import")
        follows.follow(session, fresh, "category", "cs.CV")
    assert ranking(settings, uid) == ranking(settings, fresh)  # exact forgetting of a save


def test_linked_subscriber_gets_a_for_you_section_first(settings: Settings, tmp_path: Path) -> None:
    store_world(settings, PAPERS, VECS)
    uid, _ = make_user(settings, "reader")
    with db.session_scope(settings) as session:
        for r in (0, 4, 8, 12):
            saves.save_paper(session, uid, IDS[r])
        sub = Subscription(email="reader@example.org", frequency="daily", status="confirmed")
        session.add(sub)
        session.flush()
        session.add(SubscriptionLink(user_id=uid, subscription_id=sub.id))
    send_digests(settings, as_of=LAST, dry_run_dir=tmp_path, frequencies=("daily",))
    [eml] = list(tmp_path.glob("*.eml"))
    text = message_from_bytes(eml.read_bytes()).get_payload()[0].get_payload(decode=True).decode()
    assert text.index("For you") < (text.find("Trending") if "Trending" in text else len(text))
    robots = [
        p["title"]
        for p in PAPERS
        if p["first_listing_date"] >= (LAST - dt.timedelta(days=1)).isoformat()
        and p["title"].startswith("Robots")
    ]
    assert any(t in text for t in robots)
