"""The ranker as a pure function: it learns topics, obeys rules, explains, and forgets exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.foryou import (
    Decay,
    Follow,
    PaperSignal,
    RankerConfig,
    Rule,
    Signals,
    rank,
)
from dailypapers.foryou.ranker import background, fit, score
from dailypapers.search.query import QueryError
from tests.foryou_fixtures import space, world

PAPERS, VECS = world()
SPACE = space(PAPERS, VECS)
IDS = SPACE.ids
AT = dt.datetime(2025, 3, 10, 12)
AS_OF = dt.date(2025, 3, 31)
CANDIDATES = IDS[200:280]
POOL = IDS[:200]


def topic(pid: str) -> str:
    return PAPERS[SPACE.index[pid]]["title"].split()[0].lower()


def saves(*rows: int, kind: str = "save") -> tuple[PaperSignal, ...]:
    return tuple(PaperSignal(IDS[r], kind, AT) for r in rows)


def ranked(signals: Signals, **cfg: object) -> list:
    return rank(signals, SPACE, CANDIDATES, pool=POOL, as_of=AS_OF,
                config=RankerConfig(**cfg))  # fmt: skip


ROBOTS = saves(0, 4, 8, 12, 16, 20)  # rows 0 mod 4 are robotics papers


@pytest.mark.parametrize("method", ["hybrid", "dense", "lexical", "centroid"])
def test_each_method_puts_the_liked_topic_first(method: str) -> None:
    top = ranked(Signals(papers=ROBOTS), method=method)[:10]
    assert [topic(s.paper_id) for s in top] == ["robots"] * 10


def test_few_positives_fall_back_to_the_centroid() -> None:
    one = Signals(papers=saves(1))  # a language paper
    assert ranked(one) == ranked(one, method="centroid")
    assert topic(ranked(one)[0].paper_id) == "language"


def test_no_signal_ranks_by_popularity_and_follows() -> None:
    plain = ranked(Signals())
    assert plain[0].reasons == ("popular in this period",)
    follow = Signals(follows=(Follow("category", "cs.CV", AT),))
    top = ranked(follow)[:20]
    assert all(topic(s.paper_id) == "vision" for s in top)
    assert top[0].reasons[0] == "in cs.CV, which you follow"


def test_saved_and_not_interested_papers_are_left_out() -> None:
    signals = Signals(papers=(*ROBOTS, PaperSignal(IDS[200], "not_interested", AT),
                              PaperSignal(IDS[204], "save", AT)))  # fmt: skip
    ids = {s.paper_id for s in ranked(signals)}
    assert IDS[200] not in ids and IDS[204] not in ids
    assert len(ids) == len(CANDIDATES) - 2


def _mean_rank(out: list, name: str) -> float:
    ranks = [i for i, s in enumerate(out) if topic(s.paper_id) == name]
    return sum(ranks) / len(ranks)


def test_not_interested_pushes_similar_papers_down() -> None:
    liked = (*ROBOTS, *saves(1, 5, 9, 13, 17, 21))  # robotics and language
    disliked = [PaperSignal(IDS[r], "not_interested", AT) for r in range(41, 121, 4)]
    base, after = ranked(Signals(papers=liked)), ranked(Signals(papers=(*liked, *disliked)))
    assert _mean_rank(after, "language") > _mean_rank(base, "language") + 10


def test_rules_never_hides_and_always_brings_in() -> None:
    signals = Signals(papers=ROBOTS, rules=(Rule("never", "gripper"), Rule("always", "graph")))
    out = ranked(signals)
    assert not any("gripper" in PAPERS[SPACE.index[s.paper_id]]["abstract"] for s in out)
    assert topic(out[0].paper_id) == "graphs"
    assert out[0].reasons[0] == "matches your rule “graph”"


def test_rule_filters_use_the_search_language() -> None:
    signals = Signals(papers=ROBOTS, rules=(Rule("never", "category:cs.RO"),))
    assert all(topic(s.paper_id) != "robots" for s in ranked(signals))
    with pytest.raises(QueryError):
        ranked(Signals(rules=(Rule("never", "since:yesterday"),)))


def test_reasons_name_the_closest_library_papers() -> None:
    top = ranked(Signals(papers=ROBOTS))[0]
    assert top.reasons and top.reasons[-1].startswith("like “Robots study")
    assert top.reasons[-1].endswith("in your library")
    upvoted = ranked(Signals(papers=saves(0, 4, 8, kind="upvote")))[0]
    assert upvoted.reasons[-1].endswith("which you upvoted")


def test_content_only_ignores_follows() -> None:
    follow = (Follow("author", IDS and PAPERS[201]["authors"][0], AT),)
    a = ranked(Signals(papers=ROBOTS, follows=follow), content_only=True)
    b = ranked(Signals(papers=ROBOTS), content_only=True)
    assert [(s.paper_id, s.score) for s in a] == [(s.paper_id, s.score) for s in b]


def test_exact_forgetting_a_removed_signal_leaves_no_trace() -> None:
    extra = PaperSignal(IDS[1], "save", AT)
    neg = PaperSignal(IDS[2], "not_interested", AT)
    without = ranked(Signals(papers=ROBOTS))
    assert ranked(Signals(papers=(*ROBOTS, extra, neg))) != without
    # the same signals in another order, and after a round trip through "with": identical
    assert ranked(Signals(papers=tuple(reversed(ROBOTS)))) == without


def test_decay_weighs_recent_signals_more() -> None:
    decay = Decay(half_life_days=30, floor=0.1)
    assert decay.weight(AT, AT.date()) == 1.0
    assert decay.weight(AT, AT.date() + dt.timedelta(days=30)) == 0.5
    assert decay.weight(AT, AT.date() + dt.timedelta(days=3000)) == 0.1
    assert decay.weight(AT, AT.date() - dt.timedelta(days=5)) == 1.0  # future: no bonus
    old_robots = tuple(PaperSignal(s.paper_id, "save", AT - dt.timedelta(days=720)) for s in ROBOTS)
    new_lang = saves(1, 5, 9, 13, 17, 21)
    top = ranked(Signals(papers=(*old_robots, *new_lang)), decay=decay)[:5]
    assert all(topic(s.paper_id) == "language" for s in top)


def test_the_shared_background_leaves_out_the_users_papers_and_changes_nothing() -> None:
    cfg = RankerConfig(background=120, reference=40)
    shared = background(SPACE, POOL, cfg)  # drawn once, for every user
    in_sample = [shared.train_ids[0], shared.ref_ids[0]]  # the user saved two sampled papers
    signals = Signals(papers=(*ROBOTS, *(PaperSignal(i, "save", AT) for i in in_sample)))
    model = fit(signals, SPACE, pool=POOL, as_of=AS_OF, config=cfg, shared=shared)
    alone = fit(signals, SPACE, pool=POOL, as_of=AS_OF, config=cfg)
    assert score(signals, model, SPACE, CANDIDATES, cfg) == score(
        signals, alone, SPACE, CANDIDATES, cfg
    )
    train, ref = shared.mask(frozenset(in_sample))
    assert not train[0] and not ref[0] and train[1:].all() and ref[1:].all()
    # with one of them removed, the result is that of a user who never saved it
    fewer = Signals(papers=(*ROBOTS, PaperSignal(in_sample[0], "save", AT)))
    again = fit(fewer, SPACE, pool=POOL, as_of=AS_OF, config=cfg, shared=shared)
    fresh = fit(fewer, SPACE, pool=POOL, as_of=AS_OF, config=cfg)
    assert score(fewer, again, SPACE, CANDIDATES, cfg) == score(
        fewer, fresh, SPACE, CANDIDATES, cfg
    )


def test_background_terms_numbered_once_stack_like_the_whole_matrix() -> None:
    """The SVM's matrix: the user's rows over the background's numbering plus their own new
    terms equal the plain stack of both (and the user's rows are left as they were)."""
    import numpy as np
    import scipy.sparse as sp

    from dailypapers.foryou.termrows import TermRows

    def rows(n: int, seed: int) -> sp.csr_matrix:
        m = sp.random(n, 4000, density=0.02, format="csr", random_state=seed, dtype=np.float32)
        m.sort_indices()
        return sp.csr_matrix(m)

    shared, own = rows(120, 1), rows(30, 2)
    before = own.copy()
    for dropped in ([], [3, 50], [0, 1, 2, 119], [60, 61], list(range(120))):
        keep = np.ones(120, dtype=bool)
        keep[dropped] = False
        numbered = TermRows.of(shared, np.float64)
        extra, stacked = numbered.stacked_below(own, keep)
        terms = np.concatenate([numbered.terms, extra])
        plain = sp.vstack([own, shared[keep]], format="csr")
        back = sp.csr_matrix((stacked.data, terms[stacked.indices], stacked.indptr),
                             shape=plain.shape)  # fmt: skip
        assert (back != plain).nnz == 0 and back.shape == plain.shape
        assert stacked.has_sorted_indices and len(np.unique(terms)) == len(terms)
        again = sp.csr_matrix(stacked, copy=True)
        again.has_sorted_indices = False
        again.sort_indices()  # the flag it carries is true
        assert np.array_equal(again.indices, stacked.indices)
    assert (own != before).nnz == 0 and np.array_equal(own.data, before.data)


def test_weights_over_stacked_terms_score_rows_as_the_hashed_vector_does() -> None:
    """SVM weights kept over the stacked numbering score other rows (numbered over their own
    terms) exactly as the same weights spread over every hashed term: identical floats."""
    import numpy as np
    import scipy.sparse as sp

    from dailypapers.foryou.termrows import TermRows, TermWeights

    def rows(n: int, seed: int, width: int = 6000) -> sp.csr_matrix:
        m = sp.random(n, width, density=0.02, format="csr", random_state=seed, dtype=np.float32)
        m.sort_indices()
        return sp.csr_matrix(m)

    shared, own, other = TermRows.of(rows(120, 1), np.float64), rows(30, 2), rows(50, 3)
    keep = np.ones(120, dtype=bool)
    keep[[5, 6, 90]] = False
    extra, stacked = shared.stacked_below(own, keep)
    values = np.random.default_rng(4).normal(size=stacked.shape[1])
    values[:7] = 0.0  # terms of left-out rows get no weight
    weights = TermWeights(shared.column, values, extra)
    hashed = np.zeros(6000)
    hashed[np.concatenate([shared.terms, extra])] = values
    target = TermRows.of(other)
    assert np.array_equal(target.dot(weights), np.asarray(other @ hashed).ravel())
    some = target.take(np.asarray([4, 0, 49]))
    assert np.array_equal(some.dot(weights), np.asarray(other[[4, 0, 49]] @ hashed).ravel())
    assert len(TermRows.of(other[:0]).dot(weights)) == 0


@pytest.mark.parametrize("threads", [1, 2])
def test_nearest_positives_equal_the_plain_product(threads: int) -> None:
    """The lexical nearest-positive score: the mean of each row's k highest cosines, equal to
    the plain product's (rows sharing no term with any positive score 0)."""
    import numpy as np
    import scipy.sparse as sp

    from dailypapers.foryou import lexical, nearest, numeric
    from dailypapers.foryou.termrows import TermRows

    counts = SPACE.counts
    idf = lexical.idf_weights(lexical.doc_freq(counts), counts.shape[0])
    tfidf = lexical.weigh(counts, idf)
    positives, feats = tfidf[:40], tfidf[100:300]
    feats = sp.vstack([feats, sp.csr_matrix((3, feats.shape[1]), dtype=np.float32)], "csr")
    assert feats.shape[0] == 203 and feats[200:].nnz == 0
    saved = numeric.THREADS
    numeric.use_threads(threads)
    try:
        index = nearest.Positives.of(positives)
        numbered = TermRows.of(feats)
        for k in (1, 2, 3, 40, 60):
            plain = np.sort((feats @ positives.T).toarray(), axis=1)[:, -min(k, 40) :].mean(axis=1)
            got = index.top_mean(numbered, k)
            assert got.shape == (203,) and np.allclose(got, plain, rtol=1e-6, atol=1e-7)
            assert np.array_equal(got[200:], np.zeros(3)) and (got[:200] > 0).any()
        first, second = np.sort((feats @ positives.T).toarray(), axis=1)[:, -2:].T
        assert np.array_equal(index.top_mean(numbered, 2), (first + second) / np.float32(2))
        assert np.array_equal(index.top_mean(numbered.take(np.arange(3, 9)), 2),
                              ((first + second) / np.float32(2))[3:9])  # fmt: skip
        assert len(index.top_mean(TermRows.of(feats[:0]), 2)) == 0
    finally:
        numeric.use_threads(saved)


def test_scoring_by_halves_keeps_every_row_in_place() -> None:
    """A large candidate set's dense nearest-positive scores, computed in two threads, are
    the one-call scores row for row (to float32 rounding of the product)."""
    import numpy as np

    from dailypapers.foryou.numeric import SPLIT_ROWS, by_halves
    from dailypapers.foryou.ranker import _top

    rng = np.random.default_rng(3)
    rows = rng.normal(size=(SPLIT_ROWS * 2 + 1, 16)).astype(np.float32)
    pos = rng.normal(size=(40, 16)).astype(np.float32)
    whole = _top(rows.copy(), pos, 2)
    halves = by_halves(lambda part: _top(part, pos, 2), rows.copy(), 2)
    assert halves.shape == whole.shape and np.allclose(halves, whole, rtol=1e-5, atol=1e-6)
    assert np.array_equal(by_halves(lambda part: part[:, 0] * 2, rows, 2), rows[:, 0] * 2)


@pytest.mark.parametrize("size", [0, 1, 2, 7, 5000])
def test_sorted_unique_is_numpys_unique(size: int) -> None:
    """The sort-based distinct values equal ``np.unique``'s, dtype included."""
    import numpy as np

    from dailypapers.foryou.numeric import sorted_unique

    values = np.random.default_rng(size).integers(0, 50 + size // 10, size).astype(np.int32)
    found = sorted_unique(values)
    assert found.dtype == np.int32 and np.array_equal(found, np.unique(values))
