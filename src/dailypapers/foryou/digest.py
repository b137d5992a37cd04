"""The "For you" section of digests: the top papers of a digest's window for the linked
account, above a score threshold (so that "nothing relevant" means "no section").

One ``PersonalPicks`` serves a whole digest run: each window's paper ids are read once; each
user's signals are read afresh, so a removed signal never reaches a later mail. Papers'
vectors, term counts and the background pool are shared through ``personal`` (paper data),
the user's model through ``memo`` (keyed by the exact signal set).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from dailypapers.feed.windows import Window
from dailypapers.foryou.personal import load_signals, ranked_window
from dailypapers.foryou.ranker import RankerConfig
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
        self._windows: dict[tuple[dt.date, dt.date], list[str]] = {}

    def candidates(self, start: dt.date, end: dt.date) -> list[str]:
        if (start, end) not in self._windows:
            self._windows[(start, end)] = q.window_paper_ids(self.session, start, end)
        return self._windows[(start, end)]

    def picks(self, user_id: int, start: dt.date, end: dt.date, exclude: set[str]) -> list[str]:
        """Ids of the user's best papers of the window, best first, at or above the threshold;
        empty for a user without positive signals (popularity is the trending section's job).

        The whole window is ranked (as ``/for-you`` ranks it) and ``exclude`` taken out after:
        a paper's score does not depend on the other candidates, so that is the same ranking.
        """
        if not self.limit:
            return []
        signals = load_signals(self.session, user_id)
        if not signals.positives() and not signals.rules and not signals.follows:
            return []
        window = ranked_window(self.session, user_id, signals, self.candidates(start, end),
                               contract=self.key, dim=self.dim, as_of=end,
                               config=DIGEST_CONFIG)  # fmt: skip
        ranked = window.ranked
        chosen = [i for i, s in zip(ranked.ids, ranked.scores, strict=True)
                  if s >= self.threshold and i not in exclude]  # fmt: skip
        return chosen[: self.limit]


def picker(session: Session, model: str, *, threshold: float, limit: int) -> ForYouPick:
    """A digest run's "For you" picker: linked subscribers get their account's picks."""
    picks = PersonalPicks(session, model, threshold=threshold, limit=limit)
    links = q.linked_users(session)

    def pick(subscription_id: int, window: Window, used: set[str]) -> list[str]:
        user_id = links.get(subscription_id)
        return picks.picks(user_id, window.start, window.end, used) if user_id else []

    return pick
