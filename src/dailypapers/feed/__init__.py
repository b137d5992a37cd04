"""The daily feed's read side: windows (day, ISO week, month) and list queries.

Pages, the API, Atom feeds and digests all read the feed through ``feed.queries``.
"""

from dailypapers.feed.queries import (
    FEED_SORTS,
    FeedItem,
    FeedSort,
    Neighbours,
    PaperView,
    bump_data_version,
    count_feed,
    data_version,
    default_window,
    get_paper,
    latest_feed_date,
    list_feed,
    neighbours,
    normalise_paper_id,
    papers_by_ids,
    utc_today,
)
from dailypapers.feed.windows import (
    Window,
    WindowKind,
    parse_day,
    parse_month,
    parse_week,
    parse_window,
)

__all__ = [
    "FEED_SORTS",
    "FeedItem",
    "FeedSort",
    "Neighbours",
    "PaperView",
    "Window",
    "WindowKind",
    "bump_data_version",
    "count_feed",
    "data_version",
    "default_window",
    "get_paper",
    "latest_feed_date",
    "list_feed",
    "neighbours",
    "normalise_paper_id",
    "papers_by_ids",
    "parse_day",
    "parse_month",
    "parse_week",
    "parse_window",
    "utc_today",
]
