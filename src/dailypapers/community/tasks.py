"""Background work of the community area, run by ``dailypapers worker``."""

from __future__ import annotations

from dailypapers.jobs import current_settings, huey


@huey.task(retries=2, retry_delay=60)
def index_submitted(ids: list[str]) -> None:
    """Embed and index papers that a submission fetched from arXiv (off the request path)."""
    from dailypapers.search import index_papers

    index_papers(current_settings(), ids)
