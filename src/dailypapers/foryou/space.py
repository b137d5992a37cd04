"""The papers a ranking looks at: ids, unit vectors, hashed term counts and metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from dailypapers.foryou import lexical
from dailypapers.foryou.rules import PaperMeta
from dailypapers.foryou.termrows import TermRows


@dataclass(slots=True)
class PaperSpace:
    """Row ``i`` of ``vectors`` and ``counts`` and ``meta[i]`` describe paper ``ids[i]``.

    ``vectors`` are L2-normalised float32 rows (a paper without a vector has a zero row);
    ``counts`` are ``lexical.counts`` rows; ``doc_freq`` (frequencies over the whole
    collection) replaces the request pool's when given; ``meta`` is needed for rules, follows
    and reasons, and may be None in content-only evaluation.
    """

    ids: list[str]
    vectors: np.ndarray
    counts: sp.csr_matrix
    meta: list[PaperMeta] | None = None
    popularity: np.ndarray | None = None
    doc_freq: tuple[np.ndarray, int] | None = None  # corpus document frequencies, if known
    index: dict[str, int] = field(default_factory=dict)
    _weighted: tuple[np.ndarray, TermRows] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {pid: i for i, pid in enumerate(self.ids)}

    def term_rows(self, idf: np.ndarray, rows: np.ndarray) -> TermRows:
        """The tf-idf (``lexical.weigh``) of ``rows`` under ``idf``, over the terms they use.

        When they are most of the space (a window's papers), every row is weighted once and
        kept for the last ``idf`` object: users sharing a background share one weighting. A
        few rows of a large space (the evaluation's day among the whole corpus) are weighted
        alone; each row depends only on itself and ``idf``, so the values are the same.
        """
        if 2 * len(rows) < len(self.ids):
            return TermRows.of(lexical.weigh(sp.csr_matrix(self.counts[rows]), idf))
        kept = self._weighted
        if kept is None or kept[0] is not idf:
            kept = self._weighted = (idf, TermRows.of(lexical.weigh(self.counts, idf)))
        return kept[1].take(rows)

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """Row numbers of those ids that are in the space, in the given order."""
        found = [self.index[i] for i in ids if i in self.index]
        return np.asarray(found, dtype=np.int64)


def background_sample(pool: Sequence[str], size: int, seed: int) -> list[str]:
    """A fixed-seed sample of ``size`` ids from ``pool`` (order-independent: sorted first)."""
    ordered = sorted(set(pool))
    if len(ordered) <= size:
        return ordered
    picked = np.random.default_rng(seed).choice(len(ordered), size, replace=False)
    return [ordered[i] for i in sorted(picked.tolist())]
