"""Digest jobs for the worker (``dailypapers worker``): the daily run and mail retries.

``send_scheduled_digests`` runs every day at ``settings.digest_hour`` (UTC): daily digests
every day, weekly digests from ``settings.digest_weekly_day`` on (a worker that was down on
that day catches up later in the same ISO week; the send log keeps it to one mail a week).
"""

from __future__ import annotations

import datetime as dt
import email
import logging
from email.message import EmailMessage
from email.policy import default as default_policy

from dailypapers.config import Settings
from dailypapers.jobs import cron, current_settings, huey
from dailypapers.mail import MailError, RecipientRejected, send_message

log = logging.getLogger(__name__)


def frequencies_due(settings: Settings, today: dt.date) -> tuple[str, ...]:
    """Which frequencies the scheduled run sends on ``today``."""
    if today.isoweekday() >= settings.digest_weekly_day:
        return ("daily", "weekly")
    return ("daily",)


@huey.periodic_task(cron(lambda s: f"0 {s.digest_hour} * * *"), name="digest.send_scheduled")
def send_scheduled_digests() -> str:
    """The daily digest run; returns the summary line (kept in the worker log)."""
    from dailypapers.digest.send import DigestBusy, send_digests

    settings = current_settings()
    today = dt.datetime.now(dt.UTC).date()
    try:
        summary = send_digests(settings, frequencies=frequencies_due(settings, today))
    except DigestBusy:
        log.warning("digest run skipped: another run holds the lock")
        return "skipped: busy"
    log.info("digests: %s", summary.line())
    return summary.line()


@huey.task(retries=5, retry_delay=300, name="digest.deliver_mail")
def deliver_mail(raw: str) -> None:
    """Send one queued mail (a confirmation whose first attempt failed); retried by Huey."""
    message = email.message_from_string(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    try:
        send_message(current_settings(), message)
    except RecipientRejected:
        log.warning("confirmation refused by the server for %s", message["To"])
    except MailError:
        log.warning("mail to %s failed; will retry", message["To"])
        raise


def send_now_or_queue(settings: Settings, message: EmailMessage) -> None:
    """Send ``message`` at once; on a temporary failure, queue it for the worker to retry.

    Web handlers call this after the response (``BackgroundTasks``), so its outcome never
    shows in what the visitor sees.
    """
    try:
        send_message(settings, message)
    except RecipientRejected:
        log.info("confirmation refused by the server for %s", message["To"])
    except MailError as exc:
        log.warning("mail to %s failed (%s); queued for retry", message["To"], exc)
        try:
            deliver_mail(message.as_string())
        except Exception:  # the queue itself is down: nothing more to do than say so
            log.exception("could not queue the mail to %s", message["To"])
