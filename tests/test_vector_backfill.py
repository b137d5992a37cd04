"""Self-healing vectors: papers without a current vector or part vectors are found, counted
by ``index status`` and embedded by an import's rerun, ``index rebuild``, ``index backfill``
and the worker's periodic job (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from dailypapers import jobs
from dailypapers.config import Settings, get_settings
from dailypapers.ingest.runner import import_paths
from dailypapers.search.backfill import backfill, missing, pending_ids
from dailypapers.search.contract import contract_for
from dailypapers.search.engine import forget_indexes, get_index
from dailypapers.search.indexer import embed_papers, rebuild
from dailypapers.search.parts_store import parts_key
from dailypapers.store import db
from dailypapers.store.models import PaperVector
from dailypapers.store.papers import upsert_records
from tests.backfill_fixtures import MODULES, HashEmbedder
from tests.search_fixtures import corpus_rows, load_papers, record
from tests.test_cli_import import _env


@pytest.fixture(autouse=True)
def _fresh_indexes():
    forget_indexes()
    yield
    forget_indexes()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> HashEmbedder:
    embedder = HashEmbedder()
    for name in MODULES:
        monkeypatch.setattr(f"dailypapers.search.{name}.get_embedder", lambda model: embedder)
    return embedder


def _with_doc_vectors(settings: Settings, n: int) -> list[dict]:
    """``n`` corpus papers with whole-abstract vectors but no part vectors."""
    rows = load_papers(settings, n, vectors=False)
    embed_papers(settings.model_copy(update={"similar_parts": False}), [r["id"] for r in rows])
    return rows


def _stored(settings: Settings, key: str) -> set[str]:
    with db.session_scope(settings) as session:
        return set(session.scalars(select(PaperVector.paper_id).where(PaperVector.contract == key)))


def _drop(settings: Settings, key: str, ids: list[str]) -> None:
    with db.session_scope(settings) as session:
        session.execute(
            delete(PaperVector).where(PaperVector.contract == key, PaperVector.paper_id.in_(ids))
        )


def _doc_key(settings: Settings) -> str:
    return contract_for(settings.embedding_model).key


def test_every_kind_of_missing_is_counted_and_backfilled(settings: Settings, fake) -> None:
    rows = _with_doc_vectors(settings, 12)
    ids = [r["id"] for r in rows]
    _drop(settings, _doc_key(settings), ids[:3])
    with db.session_scope(settings) as session:  # a changed abstract: its vector is stale
        upsert_records(session, [record({**rows[5], "abstract": "A rewritten abstract."})])
    gaps = missing(settings)
    assert (gaps.papers, gaps.vectors, gaps.stale_vectors) == (12, 3, 1)
    assert (gaps.parts, gaps.stale_parts) == (12, 0)
    assert sorted(pending_ids(settings)) == sorted(ids)
    assert len(pending_ids(settings, limit=5)) == 5
    assert sorted(pending_ids(settings, parts=False)) == sorted([*ids[:3], ids[5]])
    before = fake.texts
    assert backfill(settings) == 12
    assert missing(settings).total == 0 and pending_ids(settings) == []
    assert _stored(settings, parts_key(settings)) == set(ids)
    after = fake.texts
    assert backfill(settings) == 0 and fake.texts == after > before


def test_status_command_shows_every_kind_of_missing(settings: Settings, monkeypatch, fake) -> None:
    from dailypapers.cli.main import app

    _with_doc_vectors(settings, 6)
    _drop(settings, _doc_key(settings), [corpus_rows(6)[0]["id"]])
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["index", "status"]).output
    finally:
        get_settings.cache_clear()
    assert "missing vectors:      1" in out and "missing part vectors: 6" in out
    assert "changed since sync:     6" in out  # nothing indexed in the keyword index yet
    assert "7 vectors to compute" in out


def test_rerun_of_an_import_embeds_what_the_first_run_left(
    settings: Settings, tmp_path: Path
) -> None:
    """With the real model (whole-abstract vectors only, to stay quick)."""
    settings = settings.model_copy(update={"similar_parts": False})
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in corpus_rows(6)))
    first = import_paths(settings, [path])  # embedding off, as if killed before it
    assert first.added == 6 and missing(settings).vectors == 6
    embedding = settings.model_copy(update={"embed_on_import": True})
    again = import_paths(embedding, [path], batch_size=4)
    assert (again.added, again.skipped) == (0, 6)
    assert missing(settings).total == 0
    assert get_index(settings).status()["vectors"] == 6


def test_rebuild_fills_part_vectors_a_killed_rebuild_left_out(settings: Settings, fake) -> None:
    rows = _with_doc_vectors(settings, 6)
    result = rebuild(settings)
    assert result["vectors"] == 6 and missing(settings).total == 0
    _drop(settings, parts_key(settings), [r["id"] for r in rows[:4]])
    assert missing(settings).parts == 4
    rebuild(settings)
    assert missing(settings).total == 0


def test_the_worker_job_backfills_in_bounded_turns(settings: Settings, fake) -> None:
    load_papers(settings, 7, vectors=False)
    bounded = settings.model_copy(update={"index_backfill_batch": 4})
    jobs.configure(bounded, immediate=True)
    try:
        from dailypapers.ingest.tasks import backfill_index

        assert backfill_index.call_local() == 4
        assert missing(settings).vectors == 3
        assert backfill_index.call_local() == 3
        assert backfill_index.call_local() == 0
    finally:
        jobs.configure(None, immediate=False)
    assert missing(settings).total == 0
    names = [t.name for t in jobs.huey._registry.periodic_tasks]
    assert "index.backfill" in names


def test_vector_rows_stay_unique(settings: Settings, fake) -> None:
    load_papers(settings, 5, vectors=False)
    backfill(settings)
    backfill(settings)
    with db.session_scope(settings) as session:
        rows = session.scalar(select(func.count()).select_from(PaperVector))
    assert rows == 10  # one whole-abstract and one part-vector row per paper


def test_papers_a_vector_file_does_not_cover_are_embedded(
    settings: Settings, tmp_path: Path
) -> None:
    """``import … --vectors`` run as a command: the 4 papers the file lacks get vectors."""
    import subprocess
    import sys

    import numpy as np

    from dailypapers.search.contract import paper_text

    rows = corpus_rows(12)
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    matrix = tmp_path / "v.npy"  # made by the driver's stand-in model, so that they verify
    texts = [paper_text(r["title"], r["abstract"]) for r in rows[:8]]
    np.save(matrix, HashEmbedder().embed(texts).astype(np.float16))
    (tmp_path / "v.npy.ids.txt").write_text("".join(r["id"] + "\n" for r in rows[:8]))
    driver = Path(__file__).with_name("kill_driver.py")
    result = subprocess.run(
        [sys.executable, str(driver), "-", "none", str(corpus), "--vectors", str(matrix)],
        env={**_env(settings), "DAILYPAPERS_EMBED_ON_IMPORT": "true"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "8 vectors stored" in result.stdout
    assert "4 papers without a precomputed vector embedded" in result.stdout
    gaps = missing(settings)
    assert (gaps.vectors, gaps.stale_vectors) == (0, 0)
    assert gaps.parts == 8  # left to the worker's backfill: the 4 embedded here have theirs
