"""The "For you" section of digests: the top papers of a digest's window for the linked
account, above a score threshold (so that "nothing relevant" means "no section").

One ``PersonalPicks`` serves a whole digest run: each window's paper ids are read once; each
user's signals are read afresh when the mail is composed, so a removed signal never reaches a
later mail. Papers' vectors, term counts and the background are shared through ``personal``
(paper data), the user's model through ``memo`` (keyed by the exact signal set).

A run with many linked subscribers ranks their windows ahead in worker processes
(``prefetch``, both cores). A ranking made ahead is used only if the signals read when the
mail is composed are exactly those it was made from, and the papers' stamp it was made with
is the run's; otherwise the window is ranked again there. The ranking is a pure function of
both, so the mail is the same either way.

The run's paper stamp is read once, at the first check (a stamp costs about 2 ms while the
run commits its sends, which empties SQLite's page cache; reading it for every mail was a
tenth of the composing process's "For you" time). Like the windows' paper ids, which are read
once per run, the papers are then as of the run's start; a ranking made after the papers
changed carries another stamp, and the stamp is read again when one arrives: from then on
the rankings of the new papers are taken, and earlier ones ranked again.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.pool import IMapIterator, Pool

from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.feed.windows import Window
from dailypapers.foryou import numeric
from dailypapers.foryou.personal import PAPERS, load_signals, ranked_window, stamp
from dailypapers.foryou.ranker import Ranked, RankerConfig
from dailypapers.foryou.signals import Signals
from dailypapers.search import contract_for
from dailypapers.store import db
from dailypapers.store.queries import foryou as q

# The same configuration as the page, so that the mail shows what /for-you shows.
DIGEST_CONFIG = RankerConfig()
ForYouPick = Callable[[int, Window, set[str]], list[str]]
PREFETCH_MIN = 50  # linked digests from which a run ranks ahead in worker processes
WORKERS = 2
# Papers a worker keeps (about 4 KB each, so at most ~400 MB): a worker lives for one run and
# reads every linked library, whose papers overlap; the web process's store stays smaller.
WORKER_PAPER_CACHE = 100_000
AHEAD_TIMEOUT = 300.0  # seconds to wait for the next ranking made ahead before giving up
log = logging.getLogger(__name__)
Request = tuple[int, dt.date, dt.date]  # user, first and last day of the window


@dataclass(frozen=True, slots=True)
class Prepared:
    """A window ranked ahead, with what it was ranked from."""

    signals: Signals
    stamp: tuple
    ranked: Ranked


def _usable(signals: Signals) -> bool:
    return bool(signals.positives() or signals.rules or signals.follows)


class PersonalPicks:
    """Ranked picks per (user, window) for one digest run."""

    def __init__(self, session: Session, model: str, *, threshold: float, limit: int) -> None:
        self.session = session
        contract = contract_for(model)
        self.key, self.dim = contract.key, contract.dim
        self.threshold, self.limit = threshold, limit
        self._windows: dict[tuple[dt.date, dt.date], list[str]] = {}
        self._pool: Pool | None = None
        self._ahead: IMapIterator | None = None
        self._ready: dict[Request, Prepared | None] = {}
        self._pending: set[Request] = set()
        self._stamp: tuple | None = None  # the papers' stamp of the run (``_current``)

    def candidates(self, start: dt.date, end: dt.date) -> list[str]:
        if (start, end) not in self._windows:
            self._windows[(start, end)] = q.window_paper_ids(self.session, start, end)
        return self._windows[(start, end)]

    def prefetch(self, settings: Settings, requests: Sequence[Request]) -> None:
        """Rank these windows ahead in ``WORKERS`` processes, in this order (the order the
        mails will ask for them); nothing for fewer than ``PREFETCH_MIN`` or one core."""
        wanted = list(dict.fromkeys(requests))
        workers = min(WORKERS, os.cpu_count() or 1)
        if len(wanted) < PREFETCH_MIN or workers < 2 or self._pool is not None:
            return
        try:  # e.g. not allowed in a daemonic process: the mails then rank inline
            self._pool = mp.get_context("spawn").Pool(
                workers, _init_worker, (settings, self.key, self.dim)
            )
        except (AssertionError, OSError):
            log.exception("For you: no worker processes; ranking in the composing process")
            return
        self._pending = set(wanted)
        self._ahead = self._pool.imap(_rank_ahead, wanted)  # chunks of 1: next(timeout)

    def _current(self, made_with: tuple) -> bool:
        """Whether a ranking made with papers' stamp ``made_with`` is of the run's papers (the
        stamp is read at the first call, and again when a ranking carries another one)."""
        if self._stamp is None or self._stamp != made_with:
            self._stamp = stamp(self.session, self.key)
        return self._stamp == made_with

    def close(self) -> None:
        """Stop the worker processes (the end of a run)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
        self._pool, self._ahead, self._pending, self._ready = None, None, set(), {}

    def _prepared(self, request: Request) -> Prepared | None:
        if request not in self._pending or self._ahead is None:
            return None
        try:
            while request not in self._ready:
                done, prepared = self._ahead.next(AHEAD_TIMEOUT)
                self._ready[done] = prepared
        except Exception:  # a worker failed, died or hangs: the mails rank inline from here
            log.exception("For you: ranking ahead failed; ranking in the composing process")
            self.close()
            return None
        self._pending.discard(request)
        return self._ready.pop(request)

    def picks(self, user_id: int, start: dt.date, end: dt.date, exclude: set[str]) -> list[str]:
        """Ids of the user's best papers of the window, best first, at or above the threshold;
        empty for a user without positive signals (popularity is the trending section's job).

        The whole window is ranked (as ``/for-you`` ranks it) and ``exclude`` taken out after:
        a paper's score does not depend on the other candidates, so that is the same ranking.
        """
        if not self.limit:
            return []
        signals = load_signals(self.session, user_id)
        ahead = self._prepared((user_id, start, end))
        if not _usable(signals):
            return []
        if ahead is not None and ahead.signals == signals and self._current(ahead.stamp):
            ranked = ahead.ranked
        else:
            ranked = ranked_window(self.session, user_id, signals, self.candidates(start, end),
                                   contract=self.key, dim=self.dim, as_of=end,
                                   config=DIGEST_CONFIG).ranked  # fmt: skip
        chosen = [i for i, s in zip(ranked.ids, ranked.scores, strict=True)
                  if s >= self.threshold and i not in exclude]  # fmt: skip
        return chosen[: self.limit]


@dataclass(slots=True)
class _Worker:
    settings: Settings
    contract: str
    dim: int
    windows: dict[tuple[dt.date, dt.date], list[str]]


_WORKER: list[_Worker] = []  # a worker process's settings (set by ``_init_worker``)


def _init_worker(settings: Settings, contract: str, dim: int) -> None:
    _WORKER[:] = [_Worker(settings, contract, dim, {})]
    numeric.use_threads(1)  # the workers already take a core each
    numeric.keep_freed_memory()  # a worker lives for one run: no page faults for each fit
    PAPERS.size = WORKER_PAPER_CACHE


def _rank_ahead(request: Request) -> tuple[Request, Prepared | None]:
    """In a worker: the user's window ranked from the signals read now (None without any)."""
    user_id, start, end = request
    work = _WORKER[0]
    with db.session_scope(work.settings) as session:
        signals = load_signals(session, user_id)
        if not _usable(signals):
            return request, None
        if (start, end) not in work.windows:
            work.windows[(start, end)] = q.window_paper_ids(session, start, end)
        window = ranked_window(session, None, signals, work.windows[(start, end)],
                               contract=work.contract, dim=work.dim, as_of=end,
                               config=DIGEST_CONFIG)  # fmt: skip
        return request, Prepared(signals, window.stamp, window.ranked)


class Picker:
    """A digest run's "For you" picker: linked subscribers get their account's picks."""

    def __init__(self, session: Session, model: str, *, threshold: float, limit: int) -> None:
        self.picks = PersonalPicks(session, model, threshold=threshold, limit=limit)
        self.links = q.linked_users(session)

    def __call__(self, subscription_id: int, window: Window, used: set[str]) -> list[str]:
        user_id = self.links.get(subscription_id)
        return self.picks.picks(user_id, window.start, window.end, used) if user_id else []

    def prefetch(self, settings: Settings, windows: Sequence[tuple[int, Window]]) -> None:
        """Rank ahead the windows of these (subscription, window) pairs that are linked."""
        requests = [(self.links[sid], w.start, w.end) for sid, w in windows if sid in self.links]
        if self.picks.limit:
            self.picks.prefetch(settings, requests)

    def close(self) -> None:
        self.picks.close()


def picker(session: Session, model: str, *, threshold: float, limit: int) -> Picker:
    """A digest run's "For you" picker (see ``Picker``)."""
    return Picker(session, model, threshold=threshold, limit=limit)
