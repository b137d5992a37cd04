"""Simulated researchers: an author's early papers are the library, later ones are held out.

Modelled on Scholar Inbox's offline protocol, on a corpus of arXiv listings:

- researchers are authors with ``MIN_PAPERS``..``MAX_PAPERS`` papers (more than 40 papers
  under one name is usually several people);
- the library is the papers listed before a per-author cutoff day (the day of the paper at
  ``LIBRARY_SHARE`` of the author's papers); each later paper is a held-out positive ranked
  among the other papers of its feed day;
- hard negatives for balanced accuracy: 4 papers of the same day with the same primary
  category, by other authors;
- the development/test half of an author is a hash of the name, fixed across seeds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from dailypapers.foryou.evaluation.corpus import Corpus

MIN_PAPERS = 8
MAX_PAPERS = 40
LIBRARY_SHARE = 0.6
HARD_NEGATIVES = 4
SPLITS = ("dev", "test", "all")


@dataclass(slots=True)
class HeldOut:
    """A held-out paper (row), the rows of its day it is ranked against, its hard negatives."""

    row: int
    day_rows: np.ndarray
    hard: np.ndarray


@dataclass(slots=True)
class SimUser:
    """One simulated researcher."""

    name: str
    split: str
    cutoff: dt.date
    library: list[int]
    heldout: list[HeldOut]


def split_of(name: str) -> str:
    """``dev`` or ``test``: the parity of the first byte of the name's SHA-1."""
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def eligible_authors(corpus: Corpus) -> list[str]:
    counts = Counter(a for names in corpus.authors for a in set(names))
    return sorted(a for a, n in counts.items() if MIN_PAPERS <= n <= MAX_PAPERS)


def by_day(corpus: Corpus) -> dict[dt.date, np.ndarray]:
    days: dict[dt.date, list[int]] = defaultdict(list)
    for row, day in enumerate(corpus.days):
        days[day].append(row)
    return {d: np.asarray(r, dtype=np.int64) for d, r in days.items()}


def _user(
    corpus: Corpus, name: str, rows: list[int], days: dict[dt.date, np.ndarray], seed: int
) -> SimUser | None:
    rows = sorted(rows, key=lambda r: (corpus.days[r], corpus.ids[r]))
    cutoff = corpus.days[rows[int(LIBRARY_SHARE * len(rows))]]
    library = [r for r in rows if corpus.days[r] < cutoff]
    later = [r for r in rows if corpus.days[r] >= cutoff]
    if not library or not later:
        return None
    own = set(rows)
    rng = np.random.default_rng([seed, int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "big")])
    heldout = []
    for row in later:
        day_rows = np.asarray([r for r in days[corpus.days[row]] if r not in own], np.int64)
        same = [r for r in day_rows.tolist() if corpus.primary[r] == corpus.primary[row]]
        hard = np.zeros(0, np.int64)
        if len(same) >= HARD_NEGATIVES:
            hard = np.asarray(rng.choice(same, HARD_NEGATIVES, replace=False), np.int64)
        heldout.append(HeldOut(row, day_rows, hard))
    return SimUser(name, split_of(name), cutoff, library, heldout)


def simulated_users(corpus: Corpus, n: int, seed: int, split: str = "all") -> list[SimUser]:
    """``n`` researchers of ``split`` drawn with ``seed`` (fewer if the corpus has fewer)."""
    papers: dict[str, list[int]] = defaultdict(list)
    for row, names in enumerate(corpus.authors):
        for name in set(names):
            papers[name].append(row)
    names = [a for a in eligible_authors(corpus) if split == "all" or split_of(a) == split]
    order = np.random.default_rng(seed).permutation(len(names))
    days = by_day(corpus)
    users: list[SimUser] = []
    for i in order.tolist():
        user = _user(corpus, names[i], papers[names[i]], days, seed)
        if user is not None:
            users.append(user)
        if len(users) >= n:
            break
    return users
