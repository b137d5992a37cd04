"""Ranking metrics per held-out paper, per-user means and bootstrap intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METRICS = ("MRR", "NDCG@10", "recall@10", "BA")
BOOTSTRAP = 2000


def rank_of(pos_score: float, others: np.ndarray) -> int:
    """1-based rank of the positive among ``others``; ties count against it."""
    return 1 + int(np.count_nonzero(others >= pos_score))


def ranking_metrics(rank: int) -> dict[str, float]:
    """MRR, NDCG@10 (one relevant paper) and recall@10 of a held-out paper at ``rank``."""
    return {
        "MRR": 1.0 / rank,
        "NDCG@10": 1.0 / math.log2(rank + 1) if rank <= 10 else 0.0,
        "recall@10": 1.0 if rank <= 10 else 0.0,
    }


def balanced_accuracy(first: list[bool]) -> float:
    """Balanced accuracy of "the top-scored of positive + 4 hard negatives is relevant".

    With a share ``a`` of groups where the positive comes first, the true positive rate is
    ``a`` and the false positive rate ``(1 - a) / 4``; random scoring gives 0.5, perfect 1.
    """
    if not first:
        return float("nan")
    a = float(np.mean(first))
    return (a + 1.0 - (1.0 - a) / 4.0) / 2.0


@dataclass(frozen=True, slots=True)
class Interval:
    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def signed(self) -> str:
        return f"{self.mean:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def bootstrap(values: np.ndarray, seed: int) -> Interval:
    """Mean and 95% percentile interval over users (NaNs, users without a value, dropped)."""
    values = values[~np.isnan(values)]
    if not len(values):
        return Interval(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (BOOTSTRAP, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))


def paired(a: np.ndarray, b: np.ndarray, seed: int) -> Interval:
    """The per-user difference ``a - b`` with its paired bootstrap interval."""
    return bootstrap(a - b, seed)
