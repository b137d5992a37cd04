"""Similarity to the nearest positives on tf-idf rows (the ranker's ``lexical_knn`` part).

A candidate's score is the mean of its ``k`` highest cosines to the user's positive papers.
The plain way, ``(feats @ positives.T).toarray()`` and then the top ``k`` of each row, builds
the whole candidates-by-positives product (about 2 million entries for a week against a
library of 1,000 papers, nearly all non-zero through common words) twice over in scipy's
two-pass product, and was most of a first view's time. ``sparse_dot_topn`` keeps only the
top ``k`` of each row while it multiplies, on ``numeric.THREADS`` OpenMP threads. The
candidates come numbered over their own terms (``termrows.TermRows``, shared by every user
ranking them) and the positives are renumbered onto those columns, so the product walks a
small, dense term range instead of the 2^20 hashed columns, and only the positives' terms
are looked up.

The result is the plain product's, value for value: the same sums in the same order, and the
mean of the top ``k`` counts a missing entry as the zero it is (tf-idf rows are non-negative).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

from dailypapers.foryou import numeric
from dailypapers.foryou.termrows import TermRows

_tables: list[np.ndarray] = []  # hashed term -> column tables (all -1) not in use now
_tables_lock = threading.Lock()


def _numbered(terms: np.ndarray, indices: np.ndarray, width: int) -> np.ndarray:
    """The column of each hashed term of ``indices`` among ``terms`` (sorted), -1 for others:
    a lookup in a table of ``width`` entries, one per concurrent use (a sort-based search of
    200,000 entries took five times as long)."""
    with _tables_lock:
        table = _tables.pop() if _tables and len(_tables[-1]) == width else None
    if table is None:
        table = np.full(width, -1, dtype=np.int32)
    table[terms] = np.arange(len(terms), dtype=np.int32)
    try:
        return table[indices]
    finally:
        table[terms] = -1
        with _tables_lock:
            _tables.append(table)


@dataclass(frozen=True, slots=True)
class Positives:
    """The positives' tf-idf rows transposed: row ``j`` of ``by_term`` holds the weights of
    hashed term ``terms[j]`` (sorted) in each positive paper."""

    terms: np.ndarray
    by_term: sp.csr_matrix

    @classmethod
    def of(cls, rows: sp.csr_matrix) -> Positives:
        terms = numeric.sorted_unique(rows.indices).astype(np.int32)
        numbered = sp.csr_matrix(
            (rows.data, _numbered(terms, rows.indices, rows.shape[1]), rows.indptr),
            shape=(rows.shape[0], len(terms)),
        )
        return cls(terms, numbered.T.tocsr())

    def __len__(self) -> int:
        return int(self.by_term.shape[1])

    def top_mean(self, feats: TermRows, k: int) -> np.ndarray:
        """Mean of each row's ``k`` highest cosines to a positive (``k`` capped at their
        number)."""
        k = min(k, len(self))
        if not len(feats) or k == 0:
            return np.zeros(len(feats))
        threads = numeric.THREADS if numeric.THREADS > 1 else None  # None: no OpenMP at all
        top = sp_matmul_topn(feats.matrix, feats.onto(self.terms, self.by_term), top_n=k,
                             n_threads=threads)  # fmt: skip
        sums = np.zeros(len(feats), dtype=top.data.dtype)  # the rows' dtype, as before
        filled = np.diff(top.indptr) > 0
        if top.nnz:
            sums[filled] = np.add.reduceat(top.data, top.indptr[:-1][filled])
        return sums / np.asarray(k, dtype=sums.dtype)
