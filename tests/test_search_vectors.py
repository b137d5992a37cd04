"""The vector index: the int8 scan (candidates from int8, scores and order exact) and the
graph kept beside it for searches that allow it."""

from __future__ import annotations

import time

import numpy as np

from dailypapers.search.vectors import (
    SCAN_INT8_MIN,
    VectorIndex,
    build_ann,
    load_snapshot,
    snapshot_paths,
    write_snapshot,
)
from tests.conftest import SHARED

VECTORS = SHARED / "corpus" / "arxiv-cs-74k.minilm.f16.npy"


def _exact(mat: np.ndarray, rows: np.ndarray, query: np.ndarray, k: int):
    scores = np.asarray(mat, np.float32) @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return rows[order], scores[order]


def test_int8_scan_finds_the_exact_neighbours_of_real_vectors() -> None:
    mat = np.load(VECTORS, mmap_mode="r")[:30_000]
    rows = np.arange(len(mat), dtype=np.int64) * 3 + 7  # row numbers are not positions
    index = VectorIndex(384, rows, mat)
    assert index.base8 is not None and index.base32 is None
    rng = np.random.default_rng(5)
    for _ in range(40):
        query = mat[rng.integers(len(mat))].astype(np.float32)
        query += rng.uniform(0.0, 0.3) * rng.standard_normal(384).astype(np.float32)
        query /= np.linalg.norm(query)
        for k in (1, 10, 200):
            found, scores = index.search(query, k)
            want, want_scores = _exact(mat, rows, query, k)
            assert set(found.tolist()) == set(want.tolist())
            np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-6)
            assert np.all(np.diff(scores) <= 0)


def test_small_collections_are_scanned_in_float32_and_the_delta_counts() -> None:
    rng = np.random.default_rng(1)
    mat = rng.standard_normal((SCAN_INT8_MIN + 50, 16)).astype(np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    small = VectorIndex(16, np.arange(100), mat[:100].astype(np.float16))
    assert small.base32 is not None and small.base8 is None
    big = VectorIndex(16, np.arange(len(mat)), mat.astype(np.float16))
    query = mat[3]
    assert big.search(query, 1)[0].tolist() == [3]
    big.put([3], [-query])  # re-embedded since the snapshot: its new vector counts
    assert 3 not in big.search(query, 5)[0].tolist()
    big.put([len(mat) + 9], [query])  # a new row, only in the delta
    assert big.search(query, 1)[0].tolist() == [len(mat) + 9]


def test_stored_vectors_compare_with_the_snapshot_row_by_row() -> None:
    """``same_as_base`` (a sync after a bulk import compares tens of thousands of stored
    vectors with the snapshot at once) is true only where the snapshot holds that exact vector
    and the delta does not replace it: changed vectors, rows the snapshot lacks, rows out of
    range and rows the delta replaces are not the same."""
    rng = np.random.default_rng(4)
    base = rng.standard_normal((60, 8)).astype(np.float16)
    index = VectorIndex(8, np.arange(0, 120, 2), base)  # the snapshot holds even rows only
    index.put([10], [base[5].astype(np.float32) * 2])  # row 10 replaced in the delta
    asked = np.array([0, 2, 4, 10, 3, 500, 118, 6])
    vectors = np.stack([base[r // 2] if r % 2 == 0 and r < 120 else base[0] for r in asked])
    vectors[2] = -vectors[2]  # row 4 changed since the snapshot
    same = index.same_as_base(asked, vectors).tolist()
    assert same == [True, True, False, False, False, False, True, True]


def test_a_graph_beside_the_scan_serves_only_searches_that_allow_it(tmp_path) -> None:
    mat = np.load(VECTORS, mmap_mode="r")[:12_000]
    rows = np.arange(len(mat), dtype=np.int64)
    # A graph of the first 500 vectors only: what it proposes shows which way a search went.
    graph = build_ann(np.asarray(mat[:500]), rows[:500])
    index = VectorIndex(384, rows, mat, graph, scan=True)
    query = np.asarray(mat[7000], np.float32)
    assert index.search(query, 1)[0].tolist() == [7000]  # exact: every vector scanned
    found, scores = index.search(query, 10, exact=False)
    assert set(found.tolist()) <= set(range(500))
    # The graph's candidates (approximate: a small graph may leave a node unreachable), each
    # rescored exactly, best first.
    exact = np.asarray(mat[found], np.float32) @ query
    np.testing.assert_allclose(scores, exact, rtol=0, atol=1e-6)
    assert list(scores) == sorted(scores, reverse=True)
    want, _ = _exact(mat[:500], rows[:500], query, 10)
    assert found[0] == want[0] and len(set(found.tolist()) & set(want.tolist())) >= 8


def test_snapshots_keep_a_graph_from_graph_min_and_drop_a_stale_one(tmp_path) -> None:
    mat = np.load(VECTORS, mmap_mode="r")[:600].astype(np.float16)
    rows = np.arange(len(mat), dtype=np.int64)
    write_snapshot(tmp_path, "k", rows, mat, exact_max=10_000, graph_min=500)
    ann_path = snapshot_paths(tmp_path, "k")[2]
    assert ann_path.exists()
    index = load_snapshot(tmp_path, "k", 384, exact_max=10_000, graph_min=500)
    assert index.ann is not None and len(index.ann) == 600 and index.base32 is not None
    # A smaller snapshot under the threshold: no graph, and the old one is gone.
    write_snapshot(tmp_path, "k", rows[:400], mat[:400], exact_max=10_000, graph_min=500)
    assert not ann_path.exists()
    assert load_snapshot(tmp_path, "k", 384, exact_max=10_000, graph_min=500).ann is None
    # A snapshot that should have a graph but lacks one (written under other settings): the
    # scan serves at once, the graph is built in the background and saved for the next start.
    write_snapshot(tmp_path, "k", rows, mat, exact_max=10_000, graph_min=5_000)
    assert not ann_path.exists()
    index = load_snapshot(tmp_path, "k", 384, exact_max=10_000, graph_min=500)
    query = np.asarray(mat[42], np.float32)
    assert index.search(query, 1, exact=False)[0].tolist() == [42]
    for _ in range(300):
        if index.ann is not None:
            break
        time.sleep(0.1)
    assert index.ann is not None and len(index.ann) == 600
    assert ann_path.exists()
    assert index.search(query, 1, exact=False)[0].tolist() == [42]


def _wait_for_graph(index: VectorIndex) -> None:
    for _ in range(300):
        if index.ann is not None:
            return
        time.sleep(0.1)


def test_a_damaged_graph_file_is_built_again_not_fatal(tmp_path, caplog) -> None:
    mat = np.load(VECTORS, mmap_mode="r")[:600].astype(np.float16)
    rows = np.arange(len(mat), dtype=np.int64)
    write_snapshot(tmp_path, "k", rows, mat, exact_max=10_000, graph_min=500)
    ann_path = snapshot_paths(tmp_path, "k")[2]
    whole = ann_path.read_bytes()
    query = np.asarray(mat[42], np.float32)
    for damaged in (whole[: len(whole) // 2], b"not a usearch file" * 10):
        ann_path.write_bytes(damaged)
        index = load_snapshot(tmp_path, "k", 384, exact_max=10_000, graph_min=500)
        assert index.search(query, 1)[0].tolist() == [42]  # the scan serves at once
        assert "unreadable" in caplog.text
        _wait_for_graph(index)
        assert index.ann is not None and len(index.ann) == 600
        assert ann_path.read_bytes() != damaged  # saved over the damaged file
    # Above the exact limit the graph is the only way: rebuilt at once, not in the background.
    ann_path.write_bytes(b"garbage")
    index = load_snapshot(tmp_path, "k", 384, exact_max=500, graph_min=500)
    assert index.ann is not None and index.search(query, 1)[0].tolist() == [42]
