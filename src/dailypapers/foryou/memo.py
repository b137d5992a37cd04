"""The per-user memo: fitted models and ranked windows, keyed by the user's exact signals.

An entry belongs to one user and holds results computed from one exact signal set (its
``key``: every signal, the ranker's configuration and the papers' data stamp, compared in
full).
A read with another key replaces the entry, so nothing computed from a removed signal is ever
used again. Beyond that, the services that remove a signal (unsave, remove an upvote, withdraw
a "not interested" mark, delete a rule, unfollow, delete the account) call ``forget``, which
drops the user's entry at once in this process; in other processes of the same site the entry
can no longer be read (the key changed) and goes at the user's next request, after
``IDLE_SECONDS`` without use, or when the LRU drops it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

# Users with an entry: a model of 1,000 library papers takes about 5 MB (vectors and tf-idf
# rows of the positives, non-zero SVM and idf weights), so 64 users stay under ~350 MB.
USERS = 64
# Per user: distinct decay weightings (windows ending on different days), ranked windows
# (a few KB each), the label key of each ``as_of`` day, explained pages (50 entries each).
SIZES = {"model": 4, "window": 16, "labels": 32, "page": 32}
IDLE_SECONDS = 600.0  # an entry unused this long is dropped at the next access


@dataclass(slots=True)
class Entry:
    """One user's memoised values for one exact signal set ``key`` (compared with ``==``,
    never by a hash): models by label key, ranked windows, label keys by day."""

    key: Hashable
    tables: dict[str, OrderedDict[Hashable, Any]] = field(
        default_factory=lambda: {kind: OrderedDict() for kind in SIZES}
    )
    used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def get(self, kind: str, key: Hashable) -> Any:
        with self.lock:
            table = self.tables[kind]
            found = table.get(key)
            if found is not None:
                table.move_to_end(key)
            return found

    def put(self, kind: str, key: Hashable, value: Any) -> None:
        with self.lock:
            table = self.tables[kind]
            table[key] = value
            table.move_to_end(key)
            while len(table) > SIZES[kind]:
                table.popitem(last=False)


class Memo:
    """An LRU of ``Entry`` by user id (thread-safe)."""

    def __init__(self, users: int = USERS, idle_seconds: float = IDLE_SECONDS) -> None:
        self.users, self.idle_seconds = users, idle_seconds
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, user_id: int, key: Hashable) -> Entry:
        """The user's entry for signal key ``key``; a fresh one replaces any other key's."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            found = self._entries.get(user_id)
            if found is None or found.key != key:
                found = self._entries[user_id] = Entry(key)
            found.used = now
            self._entries.move_to_end(user_id)
            while len(self._entries) > self.users:
                self._entries.popitem(last=False)
            return found

    def _expire(self, now: float) -> None:
        while self._entries:
            user_id, oldest = next(iter(self._entries.items()))
            if now - oldest.used < self.idle_seconds:
                return
            del self._entries[user_id]

    def forget(self, user_id: int) -> None:
        """Drop everything memoised for the user (a signal was removed, or the account)."""
        with self._lock:
            self._entries.pop(user_id, None)

    def holds(self, user_id: int) -> bool:
        with self._lock:
            return user_id in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


MEMO = Memo()


def forget(user_id: int) -> None:
    """Call after removing any signal of the user, or the account (see the module docstring)."""
    MEMO.forget(user_id)
