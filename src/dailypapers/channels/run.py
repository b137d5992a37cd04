"""Delivery runs: alerts after each ingestion, digests at the digest hour, crash-safe.

Each channel's plan runs in one worker thread (``settings.channel_workers`` at once) with its
own session. A message is sent, and only after the endpoint accepted it is the send-log row
``(channel, key)`` written as ``sent`` — together with the channel's alert cursor, in one
commit. A run killed at any moment therefore resends nothing the endpoint had accepted and
committed, and skips nothing; the only window is between the endpoint's answer and that
commit (a few milliseconds), which the webhook's ``X-Dailypapers-Delivery`` id lets a
receiver close.

Failures: 429, 5xx and timeouts are retried in the run with exponential backoff, waiting
``Retry-After`` when given (a wait beyond ``channel_backoff_max_seconds`` defers the message
to the next run); the channel then stops for this run and keeps its place. Any other 4xx, or
failing for ``channel_disable_after_days`` days, disables the channel with the reason shown on
the settings page and mailed to the user.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.channels import compose
from dailypapers.channels.crypto import UnreadableSecret, decrypt
from dailypapers.channels.follows import FollowSource, load_follows
from dailypapers.channels.message import Message, to_markdown
from dailypapers.channels.transport import Outcome, deliver
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.locks import run_lock
from dailypapers.store.models import User, utcnow
from dailypapers.store.models_channels import Channel, ChannelSend

log = logging.getLogger(__name__)
Sleep = Callable[[float], None]
LOCK = "channels-send"
LOCK_WAIT = 60.0  # seconds a run waits for the one before it


@dataclass
class Summary:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    disabled: int = 0
    unchanged: int = 0  # steps with nothing to send (no match) or already sent
    dry_run: int = 0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, error: str | None = None) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)
            if error and len(self.errors) < 20:
                self.errors.append(error)

    def line(self) -> str:
        return (f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed, "
                f"{self.disabled} channels disabled, {self.unchanged} with nothing new"
                + (f", {self.dry_run} written (dry run)" if self.dry_run else ""))  # fmt: skip


@dataclass
class Options:
    dry_run: bool = False
    out_dir: Path | None = None  # dry run: one file per message, else standard output
    sleep: Sleep = time.sleep
    follows: FollowSource = load_follows
    printer: Callable[[str], None] = print


def send_with_retries(settings: Settings, ch: Channel, url: str, secret: str | None,
                      msg: Message, sleep: Sleep) -> Outcome:  # fmt: skip
    """Deliver with retries on temporary failures, honouring ``Retry-After``."""
    delay = settings.channel_backoff_seconds
    for attempt in range(settings.channel_retries + 1):
        outcome = deliver(settings, ch.kind, url, secret, ch.id, msg)
        if outcome.status != "temporary" or attempt == settings.channel_retries:
            return outcome
        wait = outcome.retry_after if outcome.retry_after is not None else delay
        if wait > settings.channel_backoff_max_seconds:
            outcome.error += f" (retry after {wait:.0f} s: next run)"
            return outcome
        sleep(wait)
        delay = min(delay * 2, settings.channel_backoff_max_seconds)
    raise AssertionError("unreachable")


# --- the send log ------------------------------------------------------------------------------
def _record(session: Session, ch: Channel, msg: Message, status: str, error: str = "") -> None:
    now = utcnow()
    row = session.execute(
        select(ChannelSend.id, ChannelSend.attempts)
        .where(ChannelSend.channel_id == ch.id, ChannelSend.key == msg.key)
    ).first()  # fmt: skip
    values = {"status": status, "paper_ids": msg.paper_ids, "last_error": error or None,
              "sent_at": now if status == "sent" else None}  # fmt: skip
    if row is None:
        session.execute(insert(ChannelSend).values(channel_id=ch.id, key=msg.key, attempts=1,
                                                   created_at=now, **values))  # fmt: skip
    else:
        session.execute(update(ChannelSend).where(ChannelSend.id == row.id)
                        .values(attempts=row.attempts + 1, **values))  # fmt: skip


def disable(settings: Settings, session: Session, ch: Channel, reason: str) -> None:
    """Turn the channel off with ``reason`` (committed) and tell its owner by mail."""
    ch.status, ch.disabled_reason, ch.disabled_at = "disabled", reason[:2000], utcnow()
    session.commit()
    email = session.scalar(select(User.email).where(User.id == ch.user_id))
    if email:
        _mail_disabled(settings, email, ch, reason)


def _mail_disabled(settings: Settings, to: str, ch: Channel, reason: str) -> None:
    from dailypapers.mail import MailError, send_message

    mail = EmailMessage()
    mail["From"], mail["To"] = settings.mail_from, to
    mail["Subject"] = f"{settings.site_name}: channel {ch.name or ch.url_hint} turned off"
    mail.set_content(
        f"Your channel {ch.name or ch.url_hint} ({ch.kind}) no longer receives digests or "
        f"alerts:\n\n  {reason}\n\nFix it on the service, then add the channel again at "
        f"{settings.base_url.rstrip('/')}/settings/channels\n"
    )
    try:
        send_message(settings, mail)
    except MailError as exc:  # the reason stays visible on the settings page
        log.warning("could not mail %s about channel %s: %s", to, ch.id, exc)


# --- one channel -------------------------------------------------------------------------------
def _dry(opts: Options, settings: Settings, ch: Channel, msg: Message) -> None:
    text = f"# channel {ch.id} ({ch.kind}) {msg.key}\n{to_markdown(msg, settings.base_url)}\n"
    if opts.out_dir is None:
        opts.printer(text)
        return
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    (opts.out_dir / f"{ch.id}-{msg.key.replace(':', '_')}.md").write_text(text)


def run_plan(settings: Settings, plan: compose.Plan, opts: Options, summary: Summary) -> None:
    """Send one channel's steps in order, committing each outcome."""
    with db.session_factory(settings)() as session:
        ch = session.get(Channel, plan.channel_id)
        if ch is None or ch.status != "active":
            return
        try:
            url = decrypt(settings.secret_key, ch.url_encrypted)
            secret = (
                decrypt(settings.secret_key, ch.secret_encrypted) if ch.secret_encrypted else None
            )
        except UnreadableSecret as exc:
            if not opts.dry_run:
                disable(settings, session, ch, str(exc))
                summary.add("disabled", str(exc))
            return
        keys = [s.message.key for s in plan.steps if s.message]
        sent = set(session.scalars(select(ChannelSend.key).where(
            ChannelSend.channel_id == ch.id, ChannelSend.key.in_(keys),
            ChannelSend.status == "sent"))) if keys else set()  # fmt: skip
        for step in plan.steps:
            if not _step(settings, session, ch, url, secret, step, sent, opts, summary):
                return


def _step(settings: Settings, session: Session, ch: Channel, url: str, secret: str | None,
          step: compose.Step, sent: set[str], opts: Options, summary: Summary) -> bool:  # fmt: skip
    """Run one step; False when the channel must stop for this run."""
    msg = step.message
    if msg is None or msg.empty or msg.key in sent:
        if not opts.dry_run:
            _advance(session, ch, step)
            session.commit()
        summary.add("unchanged")
        return True
    if opts.dry_run:
        _dry(opts, settings, ch, msg)
        summary.add("dry_run")
        return True
    outcome = send_with_retries(settings, ch, url, secret, msg, opts.sleep)
    if outcome.status == "sent":
        _record(session, ch, msg, "sent")
        _advance(session, ch, step)
        ch.failing_since, ch.last_error, ch.last_success_at = None, None, utcnow()
        session.commit()
        summary.add("sent")
        return True
    error = f"{msg.key}: {outcome.error}"
    if outcome.status == "permanent":
        _record(session, ch, msg, "failed", outcome.error)
        ch.last_error = outcome.error
        disable(settings, session, ch, outcome.error)
        summary.add("failed", error)
        summary.add("disabled")
        return False
    _record(session, ch, msg, "pending", outcome.error)
    now = utcnow()
    ch.failing_since, ch.last_error = ch.failing_since or now, outcome.error
    session.commit()
    summary.add("deferred", error)
    if now - ch.failing_since >= dt.timedelta(days=settings.channel_disable_after_days):
        since = ch.failing_since.date().isoformat()
        disable(settings, session, ch, f"failing since {since}: {outcome.error}")
        summary.add("disabled")
    return False


def _advance(session: Session, ch: Channel, step: compose.Step) -> None:
    if step.batch_id is not None and step.batch_id > ch.alerts_done_batch:
        ch.alerts_done_batch = step.batch_id


# --- runs ------------------------------------------------------------------------------------
def execute(settings: Settings, plans: list[compose.Plan], opts: Options) -> Summary:
    summary = Summary()
    if not plans:
        return summary
    workers = 1 if opts.dry_run else min(settings.channel_workers, len(plans))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="channels") as pool:
        for future in [pool.submit(run_plan, settings, p, opts, summary) for p in plans]:
            future.result()
    return summary


def cut_batch(settings: Settings) -> int | None:
    """Fix a new alert batch from the papers stored since the last one; its id, or None."""
    with db.session_factory(settings)() as session:
        try:
            batch = compose.cut_alert_batch(session)
            session.commit()
        except IntegrityError:  # another process cut the same span at the same moment
            session.rollback()
            return None
        return batch.id if batch else None


def send_alerts(settings: Settings, opts: Options | None = None) -> Summary:
    """Cut a batch of the papers new since the last one, then send every pending alert.

    One run at a time (``store.locks``, waiting up to ``LOCK_WAIT`` seconds): two runs at
    once would post the same message twice before either recorded it.
    """
    opts = opts or Options()
    with run_lock(settings, LOCK, wait=LOCK_WAIT):
        if not opts.dry_run:
            cut_batch(settings)
        with db.session_factory(settings)() as session:
            plans = compose.plan_alerts(settings, session, opts.follows)
        return execute(settings, plans, opts)


def send_digests(settings: Settings, frequencies: tuple[str, ...], today: dt.date | None = None,
                 opts: Options | None = None) -> Summary:  # fmt: skip
    """Send the daily and/or weekly digests of ``today`` (UTC) not yet sent."""
    opts = opts or Options()
    today = today or dt.datetime.now(dt.UTC).date()
    plans: list[compose.Plan] = []
    with run_lock(settings, LOCK, wait=LOCK_WAIT):
        with db.session_factory(settings)() as session:
            for frequency in frequencies:
                plans += compose.plan_digests(settings, session, frequency, today, opts.follows)
        return execute(settings, plans, opts)
