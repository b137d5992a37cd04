"""What a user told us, as plain values: paper signals, follows and keyword rules.

The ranker is a pure function of these values (and the papers), so removing a signal from
the store removes its influence exactly: what is kept across requests (``foryou.memo``) is
keyed by the whole, exact set of these values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Positive kinds and their base weights before decay. Imports count like saves: both are
# papers the user chose to keep; an upvote is a lighter endorsement of someone else's pick.
POSITIVE_WEIGHTS = {"save": 1.0, "import": 1.0, "upvote": 0.7}
NEGATIVE_WEIGHTS = {"not_interested": 1.0}
KINDS = (*POSITIVE_WEIGHTS, *NEGATIVE_WEIGHTS)
FOLLOW_KINDS = ("author", "org", "category", "search")
RULE_ACTIONS = ("always", "never")

# A signal loses half its weight every HALF_LIFE_DAYS, down to FLOOR: an old library still
# says something about a user, but this month's saves say more.
HALF_LIFE_DAYS = 180.0
FLOOR = 0.25


@dataclass(frozen=True, slots=True)
class PaperSignal:
    """One paper the user acted on: ``kind`` is one of ``KINDS``; ``at`` when they did."""

    paper_id: str
    kind: str
    at: dt.datetime

    @property
    def positive(self) -> bool:
        return self.kind in POSITIVE_WEIGHTS


@dataclass(frozen=True, slots=True)
class Follow:
    """An author, organization, category or saved search the user follows."""

    kind: str
    value: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Rule:
    """``always`` show, or ``never`` show, papers matching ``query`` (the /search language)."""

    action: str
    query: str


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything the ranker may know about one user."""

    papers: tuple[PaperSignal, ...] = ()
    follows: tuple[Follow, ...] = ()
    rules: tuple[Rule, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.papers or self.follows or self.rules)

    def positives(self) -> list[PaperSignal]:
        return [s for s in self.papers if s.positive]

    def negatives(self) -> list[PaperSignal]:
        return [s for s in self.papers if s.kind in NEGATIVE_WEIGHTS]


@dataclass(frozen=True, slots=True)
class Decay:
    """Exponential time decay by whole days, so equal-day signals weigh exactly the same."""

    half_life_days: float = HALF_LIFE_DAYS
    floor: float = FLOOR

    def weight(self, at: dt.datetime | dt.date, as_of: dt.date) -> float:
        day = at.date() if isinstance(at, dt.datetime) else at
        age = max(0, (as_of - day).days)
        if self.half_life_days <= 0:
            return 1.0
        return max(self.floor, 0.5 ** (age / self.half_life_days))


@dataclass(frozen=True, slots=True)
class WeightedIds:
    """Paper ids with their weights (kind times decay), the ranker's training labels."""

    ids: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def weighted(signals: list[PaperSignal], as_of: dt.date, decay: Decay) -> WeightedIds:
    """Sum the weights of signals per paper (a paper saved and upvoted counts once, heavier)."""
    table = {**POSITIVE_WEIGHTS, **NEGATIVE_WEIGHTS}
    total: dict[str, float] = {}
    for sig in sorted(signals, key=lambda s: (s.paper_id, s.kind)):
        w = table.get(sig.kind, 0.0) * decay.weight(sig.at, as_of)
        total[sig.paper_id] = total.get(sig.paper_id, 0.0) + w
    ids = sorted(total)
    return WeightedIds(ids, [total[i] for i in ids])
