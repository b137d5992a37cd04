"""Rows of hashed-term weights numbered over only the terms they use.

Hashed tf-idf rows are 2^20 columns wide, but a sample of a few thousand papers uses a few
hundred thousand terms, and a window a few tens of thousands. Numbered over its own terms
(``terms``, sorted, so that each row keeps its order), a matrix needs no 2^20-wide
scratch for a product with a weight vector, and another set of rows is renumbered onto it
by looking up only that set's terms (``column``) instead of this matrix's non-zeros. Every
product then makes the same additions in the same order as over the hashed columns: the
results are identical.

The linear SVM is fitted on such rows as well (``stacked_below``): liblinear then spends
nothing on the other terms of the 2^20, and the weights are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from dailypapers.foryou import numeric


@dataclass(frozen=True, slots=True)
class TermRows:
    """Rows over only the terms they use: column ``j`` of ``matrix`` is hashed term
    ``terms[j]`` (sorted), and ``column`` maps each hashed term to its column (-1: unused)."""

    terms: np.ndarray
    matrix: sp.csr_matrix
    column: np.ndarray
    # other numberings' columns of ``terms``, by table (``columns_in``)
    _lookups: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, rows: sp.csr_matrix, dtype: type | None = None) -> TermRows:
        """``rows`` (over hashed terms) renumbered, their values as ``dtype`` (default: as
        they are). The SVM takes float64 as it is (float32 rows cost a conversion per fit)."""
        terms = numeric.sorted_unique(rows.indices).astype(np.int32)
        column = np.full(rows.shape[1], -1, dtype=np.int32)
        column[terms] = np.arange(len(terms), dtype=np.int32)
        data = rows.data if dtype is None else rows.data.astype(dtype)
        matrix = sp.csr_matrix((data, column[rows.indices], rows.indptr),
                               shape=(rows.shape[0], len(terms)))  # fmt: skip
        matrix.has_sorted_indices = rows.has_sorted_indices  # numbering keeps the order
        return cls(terms, matrix, column)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def take(self, rows: np.ndarray) -> TermRows:
        """These rows, in this order, numbered as here (sharing ``columns_in``'s lookups)."""
        return TermRows(self.terms, self.matrix[rows], self.column, self._lookups)

    def columns_in(self, column: np.ndarray) -> np.ndarray:
        """``column[terms]``: these rows' terms in another numbering's table, looked up once
        per table (a window's rows are scored with every user's weights over one shared
        background). Do not modify the result."""
        found = self._lookups.get(id(column))
        if found is None or found[0] is not column:
            found = (column, column[self.terms])
            if len(self._lookups) >= 4:
                self._lookups.clear()
            self._lookups[id(column)] = found
        return found[1]

    def dot(self, weights: TermWeights) -> np.ndarray:
        """Each row's product with ``weights``."""
        return np.asarray(self.matrix @ weights.over(self)).ravel()

    def onto(self, terms: np.ndarray, by_term: sp.csr_matrix) -> sp.csr_matrix:
        """``by_term`` (row ``i`` belongs to hashed term ``terms[i]``, sorted) as a matrix
        with one row per column of this one: the terms these rows do not use are left out,
        and the others' rows keep their values and order."""
        columns = self.column[terms]
        used = columns >= 0
        lengths = np.diff(by_term.indptr)
        keep = np.repeat(used, lengths)
        indptr = np.zeros(len(self.terms) + 1, dtype=np.int64)
        indptr[columns[used] + 1] = lengths[used]
        np.cumsum(indptr, out=indptr)
        return sp.csr_matrix(
            (by_term.data[keep], by_term.indices[keep], indptr.astype(np.int32)),
            shape=(len(self.terms), by_term.shape[1]),
        )

    def stacked_below(self, rows: sp.csr_matrix, keep: np.ndarray
                      ) -> tuple[np.ndarray, sp.csr_matrix]:  # fmt: skip
        """``rows`` (over all hashed terms) above this matrix's ``keep`` rows, numbered over
        these terms and then the terms only ``rows`` use (the shared rows keep their numbers):
        those other terms (sorted), and the matrix (float64)."""
        column = self.column[rows.indices]
        new = column < 0
        extra = numeric.sorted_unique(rows.indices[new]).astype(np.int32)
        column[new] = len(self.terms) + np.searchsorted(extra, rows.indices[new])
        width = len(self.terms) + len(extra)
        top = sp.csr_matrix((rows.data.astype(np.float64), column, rows.indptr.copy()),
                            shape=(rows.shape[0], width))  # fmt: skip
        top.sort_indices()
        data, indices, indptr = [top.data], [top.indices], [top.indptr]
        ends, end = self.matrix.indptr, int(top.indptr[-1])
        dropped = np.flatnonzero(~keep).tolist()
        for first, last in zip([0, *[d + 1 for d in dropped]], [*dropped, len(keep)],
                               strict=True):  # fmt: skip
            if first < last:  # a run of kept rows: one slice of the shared arrays
                data.append(self.matrix.data[ends[first] : ends[last]])
                indices.append(self.matrix.indices[ends[first] : ends[last]])
                indptr.append(ends[first + 1 : last + 1] - ends[first] + end)
                end += int(ends[last] - ends[first])
        matrix = sp.csr_matrix(
            (np.concatenate(data).astype(np.float64, copy=False),
             np.concatenate(indices).astype(np.int32, copy=False),
             np.concatenate(indptr).astype(np.int32, copy=False)),
            shape=(top.shape[0] + int(keep.sum()), width),
        )  # fmt: skip
        matrix.has_sorted_indices = True
        return extra, matrix


@dataclass(frozen=True, slots=True)
class TermWeights:
    """A weight per hashed term over the columns of ``TermRows.stacked_below``: first the
    shared rows' terms (``column`` is their ``TermRows``'s table, shared, not copied), then
    ``extra`` (sorted), the terms only the stacked rows use. ``values`` has one per column."""

    column: np.ndarray
    values: np.ndarray
    extra: np.ndarray

    def over(self, rows: TermRows) -> np.ndarray:
        """The weight of each column of ``rows`` (0 for a term without one): a lookup of the
        rows' terms, not a 2^20-wide vector."""
        columns = rows.columns_in(self.column)
        known = columns >= 0
        out = np.zeros(len(rows.terms), dtype=self.values.dtype)
        out[known] = self.values[columns[known]]
        if len(self.extra) and len(rows.terms):  # the user's own terms, among the rows' terms
            at = np.searchsorted(rows.terms, self.extra)
            at[at == len(rows.terms)] = 0
            found = rows.terms[at] == self.extra
            out[at[found]] = self.values[len(self.values) - len(self.extra) :][found]
        return out
