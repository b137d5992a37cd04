"""Offline evaluation of the "For you" ranker on simulated researchers (``eval foryou``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dailypapers.foryou.evaluation.corpus import Corpus, load_corpus
from dailypapers.foryou.evaluation.protocol import SimUser, simulated_users
from dailypapers.foryou.evaluation.run import Results, evaluate, report_lines, scorers
from dailypapers.foryou.ranker import RankerConfig

__all__ = [
    "Corpus",
    "Results",
    "SimUser",
    "evaluate",
    "load_corpus",
    "report_lines",
    "run_protocol",
    "scorers",
    "simulated_users",
]


def run_protocol(
    corpus: Corpus,
    config: RankerConfig,
    *,
    users: int,
    seed: int,
    split: str = "all",
    compare: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> Results:
    """Draw ``users`` simulated researchers and score them with the ranker and the baselines."""
    drawn = simulated_users(corpus, users, seed, split)
    return evaluate(corpus, drawn, scorers(config, compare), progress)
