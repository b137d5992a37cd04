"""Channel jobs for ``dailypapers worker``: alerts after every ingestion run, digests daily.

Alerts hang on Huey's ``complete`` signal of the ingestion tasks (no change to the ingestion
code): when one finishes, ``channels.send_alerts`` is queued, which fixes the papers that run
stored as one alert batch and sends it. Digests go out ten minutes after the mail digests,
at ``DAILYPAPERS_DIGEST_HOUR``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from huey.signals import SIGNAL_COMPLETE

from dailypapers.jobs import cron, current_settings, huey

log = logging.getLogger(__name__)
INGEST_TASKS = frozenset({"ingest_arxiv", "ingest_hf", "ingest_now"})


def frequencies_due(weekly_day: int, today: dt.date) -> tuple[str, ...]:
    """Daily every day; weekly from ``weekly_day`` on (the send log keeps one a week)."""
    return ("daily", "weekly") if today.isoweekday() >= weekly_day else ("daily",)


@huey.task(name="channels.send_alerts", retries=3, retry_delay=120)
def send_alerts_task() -> str:
    from dailypapers.channels.run import send_alerts

    line = send_alerts(current_settings()).line()
    log.info("channel alerts: %s", line)
    return line


@huey.signal(SIGNAL_COMPLETE)
def _after_ingestion(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
    if getattr(task, "name", None) in INGEST_TASKS:
        send_alerts_task()


@huey.periodic_task(cron(lambda s: f"10 {s.digest_hour} * * *"), name="channels.send_digests")
def send_digests_task() -> str:
    from dailypapers.channels.run import send_digests

    settings = current_settings()
    today = dt.datetime.now(dt.UTC).date()
    line = send_digests(settings, frequencies_due(settings.digest_weekly_day, today)).line()
    log.info("channel digests: %s", line)
    return line
