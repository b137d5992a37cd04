"""Offline evaluation of the "For you" ranker on simulated researchers (``eval foryou``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dailypapers.foryou.evaluation.corpus import Corpus, load_corpus
from dailypapers.foryou.evaluation.protocol import SimUser, simulated_users
from dailypapers.foryou.evaluation.run import Results, evaluate, report_lines, scorers
from dailypapers.foryou.evaluation.topics import topical_users
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
    "topical_users",
]
PROTOCOLS = ("authors", "topics")


def run_protocol(
    corpus: Corpus,
    config: RankerConfig,
    *,
    users: int,
    seed: int,
    split: str = "all",
    compare: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    protocol: str = "authors",
) -> Results:
    """Draw ``users`` simulated researchers (``authors``: their own later papers; ``topics``:
    a few saved papers on a subject) and score them with the ranker and the baselines."""
    draw = topical_users if protocol == "topics" else simulated_users
    drawn = draw(corpus, users, seed, split)
    return evaluate(corpus, drawn, scorers(config, compare), progress)
