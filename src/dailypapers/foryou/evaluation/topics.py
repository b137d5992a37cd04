"""Simulated topical interests: a few saved papers on a subject, later papers of it held out.

The author protocol (``protocol``) ranks an author's own later papers, where the author's
vocabulary is strong evidence. People who save a few papers on a subject are the other common
case (issue 11 expects the ranker to be checked on it), and there dense similarity should
matter more. The corpus has no reading logs, so a subject is an arXiv category a paper lists
anywhere (robotics, speech, security, information retrieval ...) that is narrow within this
corpus's feed (at most ``MAX_SHARE`` of it, at least ``MIN_PAPERS`` papers):

- a simulated user is a (category, draw) pair; the cutoff is the listing day of a random paper
  of the category, the library ``LIBRARY_SIZE`` random papers of it listed before the cutoff;
- held out: up to ``HELD_OUT`` random papers of it listed within ``WINDOW_DAYS`` from the
  cutoff, each ranked among the papers of its day that do not list the category;
- hard negatives: 4 papers of the same day that list the held-out paper's primary category
  (or, when that is the subject itself, the next category it lists) but not the subject;
- the development/test half is the name's hash, as for authors (``split_of``).

Category labels are coarse and sometimes missing (a robotics paper listed only in cs.CV is
counted as a negative), so absolute figures are low; the comparison between methods on the
same users is what the protocol is for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict

import numpy as np

from dailypapers.foryou.evaluation.corpus import Corpus
from dailypapers.foryou.evaluation.protocol import (
    HARD_NEGATIVES,
    HeldOut,
    SimUser,
    by_day,
    split_of,
)

MIN_PAPERS = 150
MAX_SHARE = 0.05
LIBRARY_SIZE = 5
HELD_OUT = 10
WINDOW_DAYS = 30
_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")  # arXiv names, not ACM classes


def subjects(corpus: Corpus) -> list[str]:
    """The categories narrow enough to be a subject, sorted."""
    count: dict[str, int] = defaultdict(int)
    for cats in corpus.categories:
        for cat in set(cats):
            count[cat] += 1
    most = MAX_SHARE * len(corpus.ids)
    return sorted(c for c, n in count.items() if MIN_PAPERS <= n <= most and _CATEGORY.match(c))


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "big")])


def _user(
    corpus: Corpus, name: str, subject: str, rows: list[int],
    days: dict[dt.date, np.ndarray], seed: int,
) -> SimUser | None:  # fmt: skip
    """``rows``: the subject's papers in listing order."""
    rng = _rng(seed, name)
    if len(rows) <= LIBRARY_SIZE:
        return None
    cutoff = corpus.days[rows[int(rng.integers(LIBRARY_SIZE, len(rows)))]]
    earlier = [r for r in rows if corpus.days[r] < cutoff]
    later = [r for r in rows
             if cutoff <= corpus.days[r] < cutoff + dt.timedelta(days=WINDOW_DAYS)]  # fmt: skip
    if len(earlier) < LIBRARY_SIZE or not later:
        return None
    library = sorted(rng.choice(earlier, LIBRARY_SIZE, replace=False).tolist())
    picked = sorted(rng.choice(later, min(HELD_OUT, len(later)), replace=False).tolist())
    heldout = []
    for row in picked:
        day_rows = [r for r in days[corpus.days[row]].tolist()
                    if subject not in corpus.categories[r]]  # fmt: skip
        near = corpus.primary[row] if corpus.primary[row] != subject else next(
            (c for c in corpus.categories[row] if c != subject), "")  # fmt: skip
        same = [r for r in day_rows if near and near in corpus.categories[r]]
        hard = np.zeros(0, np.int64)
        if len(same) >= HARD_NEGATIVES:
            hard = np.asarray(rng.choice(same, HARD_NEGATIVES, replace=False), np.int64)
        heldout.append(HeldOut(row, np.asarray(day_rows, np.int64), hard))
    return SimUser(name, split_of(name), cutoff, library, heldout)


def topical_users(corpus: Corpus, n: int, seed: int, split: str = "all") -> list[SimUser]:
    """``n`` simulated topical users of ``split`` (dev/test by the name's hash), drawn with
    ``seed`` round-robin over the subjects (fewer if the corpus has none)."""
    names = subjects(corpus)
    wanted = set(names)
    days = by_day(corpus)
    papers: dict[str, list[int]] = defaultdict(list)  # each subject's papers, listing order
    for row, cats in enumerate(corpus.categories):
        for cat in set(cats) & wanted:
            papers[cat].append(row)
    for rows in papers.values():
        rows.sort(key=lambda r: (corpus.days[r], corpus.ids[r]))
    users: list[SimUser] = []
    draw = 0
    while names and len(users) < n and draw < 50 * n:
        subject = names[draw % len(names)]
        name = f"{subject}#{draw // len(names)}"
        draw += 1
        if split != "all" and split_of(name) != split:
            continue
        user = _user(corpus, name, subject, papers[subject], days, seed)
        if user is not None:
            users.append(user)
    return users
