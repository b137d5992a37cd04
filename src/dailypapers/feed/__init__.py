"""Windows of the daily feed: a day, an ISO week, a month or a date range, parsed and named.

Pure date logic with no database: the feed's queries live in ``store.queries.feed``.
"""

from dailypapers.feed.windows import (
    Window,
    WindowKind,
    parse_day,
    parse_month,
    parse_week,
    parse_window,
)

__all__ = ["Window", "WindowKind", "parse_day", "parse_month", "parse_week", "parse_window"]
