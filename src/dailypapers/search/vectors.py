"""Dense vector search: an exhaustive scan, or an HNSW graph (usearch) above a size.

A ``VectorIndex`` is a snapshot (float16 matrix on disk, memory-mapped, plus an HNSW graph
for large collections) and an in-memory delta of rows embedded since the snapshot. Rows are
the paper row numbers shared with the keyword index. Vectors are L2-normalised, so the dot
product is the cosine similarity.

Both ways only propose candidates (twice as many as asked for) whose cosines are then
computed exactly from the matrix, so a score never depends on a quantisation and the best of
them come out in exact order. Up to ``EXACT_MAX`` vectors the candidates come from every
vector scanned as int8 (usearch's exhaustive SIMD search on ``SCAN_THREADS`` threads: about
5 ms at 75k here against 9 ms for a one-thread float32 product; a quarter of the memory);
small collections are scanned in float32 directly. From ``GRAPH_MIN`` vectors the graph is
kept beside the scan too, for searches that ask for speed over the last deep neighbours
(``search(exact=False)``: hybrid search, whose fusion re-scores every candidate anyway).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

# onnxruntime (query embedding) before usearch: usearch's extension carries its own libstdc++,
# and an onnxruntime loaded after it fails (SIGSEGV from 1.23, "invalid model" before).
with contextlib.suppress(ImportError):
    import onnxruntime  # noqa: F401
from usearch.index import Index, MetricKind
from usearch.index import search as scan_exhaustively

log = logging.getLogger(__name__)

# Up to this many vectors an exhaustive scan: the graph (with rescoring) takes about 2 ms at
# 75k but loses deep neighbours (known-item look-ups at rank 50-200: semantic nDCG@10 0.099 vs
# 0.104 exact); see docs/search.md.
EXACT_MAX = 200_000
# From this many vectors the graph is kept beside the scan as well (``search(exact=False)``).
GRAPH_MIN = 50_000
SCAN_INT8_MIN = 10_000  # from this many vectors the scan is int8 with exact rescoring
# Threads of one scan: 8.3 -> 4.8 ms alone at 75k; in hybrid, whose keyword search may still
# hold a core (a cached query embedding starts the scan at once), it still saves 2-3 ms.
SCAN_THREADS = min(2, os.cpu_count() or 1)
CANDIDATES = 2  # candidates per result asked for, rescored exactly
MIN_CANDIDATES = 100
EXPANSION_SEARCH = 512  # the graph's search breadth (usearch's ``ef``)


def _int8(mat: np.ndarray) -> np.ndarray:
    """Rows scaled by one factor so that the largest component is 127, rounded to int8."""
    mat = np.asarray(mat, dtype=np.float32)
    peak = float(np.abs(mat).max()) if mat.size else 0.0
    return np.round(mat * (127.0 / peak if peak > 0 else 1.0)).astype(np.int8)


def _top(scores: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if len(scores) > k:
        part = np.argpartition(-scores, k)[:k]
        scores, rows = scores[part], rows[part]
    order = np.argsort(-scores, kind="stable")
    return rows[order], scores[order]


class VectorIndex:
    """Snapshot + delta of one contract's vectors, searchable exactly or through HNSW."""

    def __init__(
        self, dim: int, rows: np.ndarray, base: np.ndarray, ann: Index | None = None,
        scan: bool | None = None,
    ) -> None:  # fmt: skip
        """``scan``: whether exact searches scan every vector (default: when there is no
        graph); with both, the graph serves ``search(exact=False)`` only."""
        self.dim = dim
        self.base_rows = rows.astype(np.int64)
        self.base = base
        self.ann = ann
        scan = ann is None if scan is None else scan
        self.base8 = _int8(base) if scan and len(rows) >= SCAN_INT8_MIN else None
        small = scan and self.base8 is None
        self.base32 = np.ascontiguousarray(base, dtype=np.float32) if small else None
        self._pos = np.full(int(rows.max()) + 1 if len(rows) else 0, -1, dtype=np.int64)
        self._pos[self.base_rows] = np.arange(len(rows))
        self.delta: dict[int, np.ndarray] = {}
        # (rows, matrix) swapped as one object, so a concurrent search never sees a mismatch
        self._delta_state = (np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32))
        self._delta_only = 0

    @classmethod
    def empty(cls, dim: int) -> VectorIndex:
        return cls(dim, np.zeros(0, np.int64), np.zeros((0, dim), np.float16))

    def __len__(self) -> int:
        return len(self.base_rows) + self._delta_only

    def same_as_base(self, rows: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """For each row, whether the snapshot already holds exactly its vector (and the delta
        does not replace it): one boolean per row."""
        rows = np.asarray(rows, np.int64)
        pos = np.full(len(rows), -1, np.int64)
        inside = (rows >= 0) & (rows < len(self._pos))
        pos[inside] = self._pos[rows[inside]]
        held = pos >= 0
        if self.delta:
            held &= ~np.isin(rows, np.fromiter(self.delta, np.int64, len(self.delta)))
        same = np.zeros(len(rows), bool)
        if held.any():
            same[held] = np.all(np.asarray(self.base[pos[held]]) == vectors[held], axis=1)
        return same

    def _base_pos(self, row: int) -> int:
        return int(self._pos[row]) if 0 <= row < len(self._pos) else -1

    def put(self, rows: list[int], vectors: np.ndarray) -> None:
        """Add or replace vectors in the delta (newer than the snapshot)."""
        delta = dict(self.delta)
        for row, vec in zip(rows, np.asarray(vectors, dtype=np.float32), strict=True):
            delta[int(row)] = vec
        drows = np.fromiter(delta, dtype=np.int64, count=len(delta))
        dmat = np.stack(list(delta.values())) if delta else np.zeros((0, self.dim), np.float32)
        self._delta_only = sum(1 for r in delta if self._base_pos(r) < 0)
        self.delta = delta
        self._delta_state = (drows, dmat)

    def get(self, row: int) -> np.ndarray | None:
        """A row's vector (float32), or None when it has none."""
        if row in self.delta:
            return self.delta[row]
        pos = self._base_pos(row)
        return None if pos < 0 else np.asarray(self.base[pos], dtype=np.float32)

    def has(self, row: int) -> bool:
        return row in self.delta or self._base_pos(row) >= 0

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, exact: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows and their cosine scores, best first.

        ``allowed`` restricts the search to those rows (scored exactly). ``exact=False`` lets
        the graph, where there is one, propose the candidates instead of a scan: about 1 ms
        instead of 5 at 75k, missing a few of the deepest neighbours (recall@200 about 0.99).
        """
        query = np.asarray(query, dtype=np.float32)
        if allowed is not None:
            return self._search_subset(query, np.asarray(allowed, dtype=np.int64), k)
        drows, dmat = self._delta_state
        parts_r, parts_s = [drows], [dmat @ query]
        wanted = max(CANDIDATES * (k + min(len(drows), 1000)), MIN_CANDIDATES)
        scan = self.base32 is not None or self.base8 is not None
        if scan and (exact or self.ann is None):
            rows, scores = self._scan(query, k + len(drows), wanted)
        elif self.ann is not None and len(self.base_rows):
            rows = np.sort(self.ann.search(query, wanted).keys.astype(np.int64))
            rows = rows[self._pos[rows] >= 0]
            scores = np.asarray(self.base[self._pos[rows]], dtype=np.float32) @ query
        else:
            rows, scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        if len(drows):  # a row re-embedded since the snapshot counts with its new vector
            fresh = ~np.isin(rows, drows)
            rows, scores = rows[fresh], scores[fresh]
        parts_r.append(rows)
        parts_s.append(scores)
        return _top(np.concatenate(parts_s), np.concatenate(parts_r), k)

    def _scan(self, query: np.ndarray, k: int, wanted: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidates from every snapshot vector: the best ``k`` exactly in float32, or
        ``wanted`` proposed by the int8 scan and rescored exactly."""
        if self.base32 is not None:
            return _top(self.base32 @ query, self.base_rows, k)
        assert self.base8 is not None
        found = scan_exhaustively(self.base8, _int8(query), min(wanted, len(self.base8)),
                                  MetricKind.IP, exact=True, threads=SCAN_THREADS)  # fmt: skip
        pos = np.sort(found.keys.astype(np.int64))
        return self.base_rows[pos], np.asarray(self.base[pos], dtype=np.float32) @ query

    def cosines(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``rows`` that have a vector and their cosines with ``query``, in no
        particular order (``search(allowed=rows)`` without the ranking)."""
        return self._subset(np.asarray(query, dtype=np.float32), np.asarray(rows, np.int64))

    def _search_subset(
        self, query: np.ndarray, rows: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        found, scores = self._subset(query, rows)
        return _top(scores, found, k) if len(found) else (found, scores)

    def _subset(self, query: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        drows, dmat = self._delta_state
        wanted = np.isin(drows, rows)
        rest = rows[~np.isin(rows, drows)]
        rest = rest[(rest >= 0) & (rest < len(self._pos))]
        pos = np.sort(self._pos[rest])
        pos = pos[pos >= 0]
        all_rows = np.concatenate([self.base_rows[pos], drows[wanted]])
        if not len(all_rows):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        mat = np.concatenate([np.asarray(self.base[pos], dtype=np.float32), dmat[wanted]])
        return all_rows, mat @ query

    # --- snapshots -------------------------------------------------------------------------
    def merged(self) -> tuple[np.ndarray, np.ndarray]:
        """All rows and float16 vectors, delta applied (for writing a new snapshot)."""
        drows, dmat = self._delta_state
        keep = ~np.isin(self.base_rows, drows)
        rows = np.concatenate([self.base_rows[keep], drows])
        mat = np.concatenate([np.asarray(self.base[keep], np.float16), dmat.astype(np.float16)])
        return rows, mat


def snapshot_paths(folder: Path, key: str) -> tuple[Path, Path, Path]:
    return (
        folder / f"vectors-{key}.npy",
        folder / f"vectors-{key}.rows.npy",
        folder / f"ann-{key}.usearch",
    )


def wants_graph(n: int, exact_max: int = EXACT_MAX, graph_min: int = GRAPH_MIN) -> bool:
    """Whether a snapshot of ``n`` vectors keeps an HNSW graph (instead of or beside the scan)."""
    return n > exact_max or n >= graph_min


def write_snapshot(
    folder: Path, key: str, rows: np.ndarray, mat: np.ndarray,
    exact_max: int = EXACT_MAX, graph_min: int = GRAPH_MIN,
) -> None:  # fmt: skip
    """Write matrix, rows and (when large) the HNSW graph; renames make each file appear whole."""
    mat_path, rows_path, ann_path = snapshot_paths(folder, key)
    tmp = f".tmp{os.getpid()}"
    np.save(str(mat_path) + tmp + ".npy", np.asarray(mat, np.float16))
    np.save(str(rows_path) + tmp + ".npy", np.asarray(rows, np.int64))
    if wants_graph(len(rows), exact_max, graph_min):
        build_ann(mat, rows).save(str(ann_path) + tmp)
        os.replace(str(ann_path) + tmp, ann_path)
    else:  # a graph of an earlier snapshot would propose the wrong rows
        ann_path.unlink(missing_ok=True)
    os.replace(str(mat_path) + tmp + ".npy", mat_path)
    os.replace(str(rows_path) + tmp + ".npy", rows_path)


def build_ann(mat: np.ndarray, rows: np.ndarray) -> Index:
    """An HNSW graph (usearch, int8-quantised cosine: a quarter of float32's memory)."""
    index = Index(ndim=mat.shape[1], metric="cos", dtype="i8", connectivity=16,
                  expansion_add=128, expansion_search=EXPANSION_SEARCH)  # fmt: skip
    index.add(np.asarray(rows, np.int64), np.asarray(mat, np.float32))
    return index


def load_snapshot(
    folder: Path, key: str, dim: int, exact_max: int = EXACT_MAX, graph_min: int = GRAPH_MIN,
    locked: Callable[[], AbstractContextManager] = contextlib.nullcontext,
) -> VectorIndex:  # fmt: skip
    """The snapshot of ``key`` (memory-mapped), or an empty index when there is none.

    A graph the snapshot should have but lacks (written by an older version or under other
    settings) is built here: at once when it replaces the scan, else in a background thread,
    the scan serving meanwhile. It is saved for the next start, only if the snapshot is still
    the one it was built from (in the background under ``locked``, the index's writer lock).
    """
    mat_path, rows_path, ann_path = snapshot_paths(folder, key)
    if not (mat_path.exists() and rows_path.exists()):
        return VectorIndex.empty(dim)
    stamp = _stamp(rows_path)
    rows = np.load(rows_path)
    mat = np.load(mat_path, mmap_mode="r")
    scan = len(rows) <= exact_max
    if not wants_graph(len(rows), exact_max, graph_min):
        return VectorIndex(dim, rows, mat, scan=True)
    ann = _restore(ann_path, len(rows))
    if ann is None and not scan:  # (the caller may hold the lock here: it is not taken)
        ann = build_ann(mat, rows)
        _save(ann, ann_path, rows_path, stamp, contextlib.nullcontext)
    index = VectorIndex(dim, rows, mat, ann, scan=scan)
    if ann is None:
        args = (index, mat, rows, ann_path, rows_path, stamp, locked)
        threading.Thread(target=_attach_graph, args=args, name="vector-graph", daemon=True).start()
    return index


def _stamp(path: Path) -> tuple[int, int]:
    """Which file ``path`` is (a new snapshot is a new file, renamed into place)."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def _restore(path: Path, n: int) -> Index | None:
    """The saved graph, if it holds exactly the snapshot's ``n`` vectors (a damaged file is
    logged and treated as missing: the graph is built again and saved over it)."""
    if not path.exists():
        return None
    try:
        ann = Index.restore(str(path), view=True)
    except (ValueError, RuntimeError) as exc:  # usearch: "File is corrupted …", "End of file"
        log.warning("vector graph %s is unreadable (%s); building it again", path, exc)
        return None
    if ann is None or len(ann) != n:
        return None
    ann.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # has a setter
    return ann


def _save(
    ann: Index, path: Path, rows_path: Path, stamp: tuple[int, int],
    locked: Callable[[], AbstractContextManager],
) -> None:  # fmt: skip
    """Save a graph built at load time, unless a new snapshot has replaced its own meanwhile."""
    with locked(), contextlib.suppress(OSError):  # a read-only folder: rebuilt by the next start
        if _stamp(rows_path) == stamp:
            tmp = f"{path}.tmp{os.getpid()}-{threading.get_ident()}"
            ann.save(tmp)
            os.replace(tmp, path)


def _attach_graph(
    index: VectorIndex, mat: np.ndarray, rows: np.ndarray, path: Path, rows_path: Path,
    stamp: tuple[int, int], locked: Callable[[], AbstractContextManager],
) -> None:  # fmt: skip
    try:
        index.ann = build_ann(mat, rows)
        _save(index.ann, path, rows_path, stamp, locked)
    except Exception:  # the scan keeps serving
        log.exception("could not build the vector graph")
