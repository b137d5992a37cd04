"""Personal ranking ("For you"): signals in, ranked papers with reasons out.

Core package: no web framework, no database session. ``rank`` is a pure function of a
user's signals and the papers; ``store.queries.foryou`` reads the signals and papers it needs.
"""

from dailypapers.foryou.ranker import METHODS, RankerConfig, Scored, rank
from dailypapers.foryou.rules import PaperMeta, compile_rule, follow_matches, matches
from dailypapers.foryou.signals import Decay, Follow, PaperSignal, Rule, Signals
from dailypapers.foryou.space import PaperSpace, background_sample

__all__ = [
    "METHODS",
    "Decay",
    "Follow",
    "PaperMeta",
    "PaperSignal",
    "PaperSpace",
    "RankerConfig",
    "Rule",
    "Scored",
    "Signals",
    "background_sample",
    "compile_rule",
    "follow_matches",
    "matches",
    "rank",
]
