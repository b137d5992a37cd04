"""The "For you" section of digests: the top papers of a digest's window for the linked
account, above a score threshold (so that "nothing relevant" means "no section").

One ``PersonalPicks`` serves a whole digest run: the background pool and the papers it has
read are kept for the run (paper data only); each user's signals are read afresh, so a
removed signal never reaches a later mail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from dailypapers.feed.windows import Window
from dailypapers.foryou.personal import build_space, load_signals, pool_sample
from dailypapers.foryou.ranker import RankerConfig, rank
from dailypapers.search import contract_for
from dailypapers.store.queries import foryou as q

# The same configuration as the page, so that the mail shows what /for-you shows.
DIGEST_CONFIG = RankerConfig()
ForYouPick = Callable[[int, Window, set[str]], list[str]]


class PersonalPicks:
    """Ranked picks per (user, window) for one digest run."""

    def __init__(self, session: Session, model: str, *, threshold: float, limit: int) -> None:
        self.session = session
        contract = contract_for(model)
        self.key, self.dim = contract.key, contract.dim
        self.threshold, self.limit = threshold, limit
        self._pool: list[str] | None = None
        self._rows: dict[str, q.PaperRow] = {}
        self._windows: dict[tuple[dt.date, dt.date], list[str]] = {}

    def _rows_for(self, ids: Iterable[str]) -> list[q.PaperRow]:
        wanted = list(dict.fromkeys(ids))
        missing = [i for i in wanted if i not in self._rows]
        if missing:
            self._rows.update((r.id, r) for r in q.paper_rows(self.session, missing, self.key))
        return [self._rows[i] for i in sorted(wanted) if i in self._rows]

    def pool(self) -> list[str]:
        if self._pool is None:
            self._pool = pool_sample(self.session, self.key, DIGEST_CONFIG.seed)
        return self._pool

    def candidates(self, start: dt.date, end: dt.date) -> list[str]:
        if (start, end) not in self._windows:
            self._windows[(start, end)] = q.window_paper_ids(self.session, start, end)
        return self._windows[(start, end)]

    def picks(self, user_id: int, start: dt.date, end: dt.date, exclude: set[str]) -> list[str]:
        """Ids of the user's best papers of the window, best first, at or above the threshold;
        empty for a user without positive signals (popularity is the trending section's job)."""
        if not self.limit:
            return []
        signals = load_signals(self.session, user_id)
        if not signals.positives() and not signals.rules and not signals.follows:
            return []
        cand = [c for c in self.candidates(start, end) if c not in exclude]
        rows = self._rows_for([*cand, *self.pool(), *(s.paper_id for s in signals.papers)])
        space = build_space(rows, self.dim)
        cfg = dataclasses.replace(DIGEST_CONFIG)
        ranked = rank(signals, space, cand, pool=self.pool(), as_of=end, config=cfg,
                      explained=False)  # fmt: skip
        return [s.paper_id for s in ranked if s.score >= self.threshold][: self.limit]


def picker(session: Session, model: str, *, threshold: float, limit: int) -> ForYouPick:
    """A digest run's "For you" picker: linked subscribers get their account's picks."""
    picks = PersonalPicks(session, model, threshold=threshold, limit=limit)
    links = q.linked_users(session)

    def pick(subscription_id: int, window: Window, used: set[str]) -> list[str]:
        user_id = links.get(subscription_id)
        return picks.picks(user_id, window.start, window.end, used) if user_id else []

    return pick
