"""The per-user memo and the per-process paper caches change nothing but speed: a memoised
ranking equals the uncached computation, and removing any signal (or the account) evicts the
user's entry at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from dailypapers.community import votes
from dailypapers.config import Settings
from dailypapers.foryou import RankerConfig, background_sample, personal, rank, service
from dailypapers.foryou.memo import MEMO, Memo
from dailypapers.library import account, follows, saves
from dailypapers.search.contract import contract_for
from dailypapers.store import db
from dailypapers.store.models_foryou import ForYouRule
from dailypapers.store.queries import foryou as q
from tests.community_fixtures import make_user
from tests.foryou_fixtures import store_world
from tests.test_foryou_api import IDS, LAST, PAPERS, VECS, upvote

START = LAST - dt.timedelta(days=3)


@pytest.fixture
def stored(settings: Settings) -> Settings:
    store_world(settings, PAPERS, VECS)
    return settings


def _signals(settings: Settings, uid: int) -> None:
    upvote(settings, uid, 0, 4, 8, 12, 1)
    with db.session_scope(settings) as session:
        saves.save_paper(session, uid, IDS[16])
        service.mark_not_interested(session, uid, IDS[2])
        service.add_rule(session, uid, "never", "gripper")
        service.add_rule(session, uid, "always", "molecules")
        follows.follow(session, uid, "category", "cs.CV")


def _memoised(settings: Settings, uid: int) -> list[tuple[str, float, tuple[str, ...]]]:
    contract = contract_for(settings.embedding_model)
    with db.session_scope(settings) as session:
        out = personal.for_user(session, uid, START, LAST, contract=contract.key,
                                dim=contract.dim)  # fmt: skip
    return [(s.paper_id, s.score, s.reasons) for s in out.items]


def _uncached(settings: Settings, uid: int) -> list[tuple[str, float, tuple[str, ...]]]:
    """``ranker.rank`` over papers read straight from the database: no memo, no paper cache."""
    contract = contract_for(settings.embedding_model)
    with db.session_scope(settings) as session:
        signals = personal.load_signals(session, uid)
        pool = q.vector_ids(session, contract.key)
        candidates = q.window_paper_ids(session, START, LAST)
        rows = q.paper_rows(session, [*pool, *candidates, *(s.paper_id for s in signals.papers)],
                            contract.key)  # fmt: skip
        space = personal.build_space(rows, contract.dim)
        sample = background_sample(pool, personal.POOL_SAMPLE, RankerConfig().seed)
    out = rank(signals, space, candidates, pool=sample, as_of=LAST)
    return [(s.paper_id, s.score, s.reasons) for s in out]


def test_memoised_ranking_equals_the_uncached_computation(stored: Settings) -> None:
    uid, _ = make_user(stored, "memo")
    _signals(stored, uid)
    MEMO.forget(uid)
    first = _memoised(stored, uid)  # fits and fills the memo
    assert MEMO.holds(uid)
    again = _memoised(stored, uid)  # served from the memo
    assert first == again == _uncached(stored, uid)
    assert len(first) > 10 and any(r for _, _, r in first)
    # a page of the API is the same slice, reasons included
    with db.session_scope(stored) as session:
        page = personal.page(session, uid, START, LAST, model=stored.embedding_model,
                             offset=5, limit=7)  # fmt: skip
    assert [(e.item.paper.id, e.score, e.reasons) for e in page.entries] == first[5:12]


def test_a_new_signal_is_never_served_a_stale_ranking(stored: Settings) -> None:
    uid, _ = make_user(stored, "adder")
    upvote(stored, uid, 0, 4, 8)
    before = _memoised(stored, uid)
    upvote(stored, uid, 1, 5, 9)  # adding signals changes the key: no eviction needed
    after = _memoised(stored, uid)
    assert after != before and after == _uncached(stored, uid)


Removal = Callable[[Session, Settings, int], object]
REMOVALS: dict[str, Removal] = {
    "upvote": lambda s, st, uid: votes.remove_upvote(s, st, uid, IDS[1]),
    "save": lambda s, st, uid: saves.unsave_paper(s, uid, IDS[16]),
    "not interested": lambda s, st, uid: service.unmark_not_interested(s, uid, IDS[2]),
    "rule": lambda s, st, uid: service.delete_rule(
        s, uid, s.query(ForYouRule).filter_by(user_id=uid, action="never").one().id
    ),
    "follow": lambda s, st, uid: follows.unfollow(s, uid, "category", "cs.CV"),
    "account": lambda s, st, uid: account.delete_account(s, st, uid),
}


@pytest.mark.parametrize("removed", list(REMOVALS))
def test_removing_a_signal_evicts_the_memo(stored: Settings, removed: str) -> None:
    uid, _ = make_user(stored, "evicted")
    other, _ = make_user(stored, "kept")
    _signals(stored, uid)
    upvote(stored, other, 0, 4, 8)
    _memoised(stored, uid)
    _memoised(stored, other)
    assert MEMO.holds(uid) and MEMO.holds(other)
    with db.session_scope(stored) as session:
        REMOVALS[removed](session, stored, uid)
    assert not MEMO.holds(uid)  # nothing computed from the removed signal is kept
    assert MEMO.holds(other)
    if removed != "account":
        assert _memoised(stored, uid) == _uncached(stored, uid)


def test_memo_is_a_bounded_lru_with_idle_expiry() -> None:
    memo = Memo(users=2, idle_seconds=3600)
    for uid in (1, 2, 3):
        memo.entry(uid, "k")
    assert not memo.holds(1) and memo.holds(2) and memo.holds(3)
    entry = memo.entry(2, "k")
    entry.put("model", "a", object())
    assert memo.entry(2, "k").get("model", "a") is not None
    assert memo.entry(2, "other key").get("model", "a") is None  # a new signal set: new entry
    idle = Memo(users=5, idle_seconds=0.0)
    idle.entry(1, "k")
    idle.entry(2, "k")  # expires the first (unused for >= 0 s)
    assert not idle.holds(1)
