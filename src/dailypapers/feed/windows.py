"""Feed windows: a day, an ISO week or a calendar month of the daily feed.

A window is pure date arithmetic (no database): parse ``2025-03-18``, ``2025-W12`` or
``2025-03``, shift to the previous or next window, label it for humans.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from dailypapers.errors import Invalid

WindowKind = Literal["day", "week", "month", "range"]
WINDOW_KINDS: tuple[str, ...] = ("day", "week", "month")

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive date range of the feed: ``start`` to ``end``, both feed dates."""

    kind: WindowKind
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, kind: WindowKind, day: dt.date) -> Window:
        """The day, ISO week (Monday to Sunday) or month that contains ``day``."""
        if kind == "day":
            return cls("day", day, day)
        if kind == "week":
            monday = day - dt.timedelta(days=day.weekday())
            return cls("week", monday, monday + dt.timedelta(days=6))
        if kind == "month":
            last = calendar.monthrange(day.year, day.month)[1]
            return cls("month", day.replace(day=1), day.replace(day=last))
        raise ValueError(f"unknown window kind {kind!r}; use day, week or month")

    @classmethod
    def between(cls, start: dt.date, end: dt.date) -> Window:
        """An arbitrary inclusive range (digests use it for "since the last mail")."""
        if end < start:
            raise ValueError(f"range ends ({end}) before it starts ({start})")
        return cls("range", start, end)

    @property
    def key(self) -> str:
        """The canonical text form: ``2025-03-18``, ``2025-W12``, ``2025-03`` or ``a..b``."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """A heading for people: ``Tuesday, 18 March 2025``, ``Week 12 · 17-23 Mar 2025``."""
        if self.kind == "day":
            return f"{self.start:%A}, {self.start.day} {self.start:%B %Y}"
        if self.kind == "week":
            _, week, _ = self.start.isocalendar()
            return f"Week {week} · {_span(self.start, self.end)}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        return _span(self.start, self.end)

    def shifted(self, steps: int) -> Window:
        """The window ``steps`` windows later (negative: earlier) of the same kind."""
        if self.kind == "day":
            return Window.containing("day", self.start + dt.timedelta(days=steps))
        if self.kind == "week":
            return Window.containing("week", self.start + dt.timedelta(weeks=steps))
        if self.kind == "month":
            index = self.start.year * 12 + self.start.month - 1 + steps
            return Window.containing("month", dt.date(index // 12, index % 12 + 1, 1))
        length = self.end - self.start + dt.timedelta(days=1)
        return Window("range", self.start + steps * length, self.end + steps * length)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def _span(start: dt.date, end: dt.date) -> str:
    if start.year != end.year:
        return f"{start.day} {start:%b %Y} \u2013 {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%b} \u2013 {end.day} {end:%b %Y}"
    return f"{start.day}\u2013{end.day} {end:%b %Y}"


def sentence(message: str) -> str:
    """``message`` with its first letter in upper case (error texts shown to people)."""
    return message[:1].upper() + message[1:]


def parse_day(text: str) -> dt.date:
    """``2025-03-18`` → date; ``ValueError`` with a readable message otherwise."""
    match = _DAY.match(text.strip())
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise ValueError(f"invalid date {text!r}: expected YYYY-MM-DD, e.g. 2025-03-18")


def parse_week(text: str) -> Window:
    """ISO week ``2025-W12`` → its Monday-to-Sunday window."""
    match = _WEEK.match(text.strip())
    if match:
        try:
            monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
            return Window.containing("week", monday)
        except ValueError:
            pass
    raise ValueError(f"invalid week {text!r}: expected an ISO week YYYY-Www, e.g. 2025-W12")


def parse_month(text: str) -> Window:
    """``2025-03`` → the window of March 2025."""
    match = _MONTH.match(text.strip())
    if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
        return Window.containing("month", dt.date(int(match.group(1)), int(match.group(2)), 1))
    raise ValueError(f"invalid month {text!r}: expected YYYY-MM, e.g. 2025-03")


def parse_window(kind: str, text: str) -> Window:
    """Parse the key of a ``day``, ``week`` or ``month`` window (``ValueError`` when bad)."""
    if kind == "day":
        return Window.containing("day", parse_day(text))
    if kind == "week":
        return parse_week(text)
    if kind == "month":
        return parse_month(text)
    raise ValueError(f"unknown window kind {kind!r}; use day, week or month")


def window_or_invalid(kind: str, text: str) -> Window:
    """``parse_window`` for requests: a bad key raises ``Invalid`` (400) with a readable text."""
    try:
        return parse_window(kind, text)
    except ValueError as exc:
        raise Invalid(sentence(str(exc))) from None
