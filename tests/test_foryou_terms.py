"""Term counts stored with the papers (``foryou.terms``): the same arrays as hashing, written
once, made again when a text changes, and a ranking identical with or without them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select, update

from dailypapers.config import Settings
from dailypapers.foryou import RankerConfig, background_sample, lexical, personal, rank, terms
from dailypapers.foryou.signals import PaperSignal, Signals
from dailypapers.search.contract import contract_for, paper_text
from dailypapers.store import db
from dailypapers.store.models import Paper, PaperTerms
from dailypapers.store.queries import foryou as q
from tests.foryou_fixtures import store_world
from tests.test_foryou_api import IDS, LAST, PAPERS, VECS


@pytest.fixture
def stored(settings: Settings) -> Settings:
    store_world(settings, PAPERS, VECS)
    return settings


def _rows(settings: Settings, ids: list[str]) -> list[q.PaperRow]:
    with db.session_scope(settings) as session:
        return q.paper_rows(session, ids, contract_for(settings.embedding_model).key)


def _hashed(row: q.PaperRow) -> tuple[np.ndarray, np.ndarray]:
    matrix = lexical.counts([paper_text(row.title, row.abstract)])
    return matrix.indices, matrix.data


def test_stored_counts_are_the_hashed_ones_and_are_written_once(stored: Settings) -> None:
    assert all(r.terms is None for r in _rows(stored, IDS))
    assert terms.store_term_counts(stored) == len(IDS)
    assert terms.store_term_counts(stored) == 0  # nothing left: a second run writes nothing
    for row in _rows(stored, IDS):
        assert row.terms is not None
        assert row.terms.text_key == terms.text_key(row.title, row.abstract)
        got, want = terms.decode(row.terms), _hashed(row)
        assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_a_changed_text_is_hashed_again_never_read_from_stale_counts(stored: Settings) -> None:
    terms.store_term_counts(stored, IDS[:20])
    assert sum(r.terms is not None for r in _rows(stored, IDS)) == 20
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=1)
    with db.session_scope(stored) as session:
        session.execute(update(Paper).where(Paper.id == IDS[3]).values(
            abstract="A new abstract about tactile grippers.", updated_at=later))  # fmt: skip
        session.execute(update(Paper).where(Paper.id == IDS[4]).values(updated_at=later))
    row = _rows(stored, [IDS[3]])[0]
    assert row.terms is not None and row.terms.text_key != terms.text_key(row.title, row.abstract)
    cache = personal.CountsCache()
    matrix = cache.counts([row])  # the stale row is ignored: hashed from the new text
    np.testing.assert_array_equal(matrix.indices, _hashed(row)[0])
    # the next run makes it again; the paper touched without a new text keeps its counts
    assert terms.store_term_counts(stored, IDS[:20]) == 1
    fresh = _rows(stored, [IDS[3]])[0]
    assert fresh.terms is not None
    assert fresh.terms.text_key == terms.text_key(fresh.title, fresh.abstract)
    assert terms.store_term_counts(stored, IDS[:20]) == 0


def test_the_ranker_takes_stored_counts_when_their_text_matches(stored: Settings) -> None:
    terms.store_term_counts(stored, [IDS[0]])
    row = _rows(stored, [IDS[0]])[0]
    assert row.terms is not None
    # Counts stored for the same text key but different: the cache must return them as stored.
    planted = dataclasses.replace(row.terms, counts=np.full(
        len(terms.decode(row.terms)[1]), 7, "<u2").tobytes())  # fmt: skip
    got = personal.CountsCache().counts([dataclasses.replace(row, terms=planted)])
    assert set(got.data.tolist()) == {7.0}
    # With another key, they are not used.
    other = dataclasses.replace(planted, text_key="0" * 16)
    got = personal.CountsCache().counts([dataclasses.replace(row, terms=other)])
    np.testing.assert_array_equal(got.data, _hashed(row)[1])


def test_a_ranking_is_identical_with_and_without_stored_counts(stored: Settings) -> None:
    signals = Signals(papers=tuple(PaperSignal(IDS[i], "save", dt.datetime(2025, 3, 1))
                                   for i in (0, 4, 8, 12, 16, 21)))  # fmt: skip
    contract = contract_for(stored.embedding_model)

    def ranking() -> list[tuple[str, float, tuple[str, ...]]]:
        with db.session_scope(stored) as session:
            pool = q.vector_ids(session, contract.key)
            candidates = q.window_paper_ids(session, LAST - dt.timedelta(days=3), LAST)
            rows = q.paper_rows(session, [*pool, *candidates], contract.key)
        space = personal.build_space(rows, contract.dim, personal.CountsCache())
        sample = background_sample(pool, personal.POOL_SAMPLE, RankerConfig().seed)
        out = rank(signals, space, candidates, pool=sample, as_of=LAST)
        return [(s.paper_id, s.score, s.reasons) for s in out]

    hashed = ranking()
    terms.store_term_counts(stored)
    with db.session_scope(stored) as session:
        assert len(session.scalars(select(PaperTerms.paper_id)).all()) == len(IDS)
    assert ranking() == hashed
    assert len(hashed) > 10 and any(r for _, _, r in hashed)


def test_a_paper_stored_meanwhile_by_another_run_is_updated_not_an_error(stored: Settings) -> None:
    # An ingestion and the periodic backfill may both find a paper without counts and store
    # it; the second write must replace the first, not fail on the primary key.
    with db.session_scope(stored) as session:
        todo = q.texts_for_terms(session, IDS[:5])
    assert [p.stored_key for p in todo] == [None] * 5
    assert terms.store_term_counts(stored, IDS[:5]) == 5  # the other run, first
    assert terms._store(stored, todo, None) == 5  # this run, from what it read before
    rows = _rows(stored, IDS[:5])
    assert all(r.terms is not None and r.terms.text_key == terms.text_key(r.title, r.abstract)
               for r in rows)  # fmt: skip
