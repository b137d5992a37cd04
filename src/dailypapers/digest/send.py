"""Sending a digest run: compose, render, deliver, and log each mail only once it is accepted.

The send log (``digest_sends``, unique per subscriber and period) is written in the same
transaction that records the papers mailed (``digest_papers``), and only after the SMTP server
answered 250. So a run repeated, or killed at any instant (SIGKILL included) and started again,
mails everyone exactly once per period: whoever has no ``sent`` row is still due. The one
window left is the instant between the server's 250 and our commit; a mail resent after a
crash there keeps its Message-ID, which lets mailbox providers fold the repeat.

A run holds a lock (a PostgreSQL advisory lock, or a file lock next to the SQLite database)
so that the scheduled job and a manual ``digest send`` never race each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, exists, insert, select, text
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.digest.compose import Composer, Digest, period_key
from dailypapers.digest.render import render_digest
from dailypapers.mail.smtp import (
    MailConfigError,
    MessageRejected,
    RecipientRejected,
    SmtpSender,
    SmtpUnavailable,
    TemporaryFailure,
    prepare,
    serialise,
)
from dailypapers.store import db
from dailypapers.store.models import DigestPaper, DigestSend, Subscription, utcnow

log = logging.getLogger(__name__)
CHUNK = 200
_ADVISORY_KEY = 0x6469_6765_7374  # "digest"
Progress = Callable[[int, int], None]


class DigestBusy(RuntimeError):
    """Another digest run holds the lock."""


class DigestAborted(RuntimeError):
    """The run stopped early (SMTP unreachable or misconfigured); what was sent stays sent."""


@dataclass
class SendSummary:
    """What a run did; ``line()`` is the one-line summary the CLI prints."""

    due: int = 0
    sent: int = 0
    written: int = 0
    empty: int = 0
    deferred: int = 0
    bounced: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.due} due", f"{self.sent} sent"]
        for name in ("written", "empty", "deferred", "bounced", "failed"):
            if getattr(self, name):
                parts.append(f"{getattr(self, name)} {name}")
        return ", ".join(parts)


@contextlib.contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """Hold the digest lock for the duration; :class:`DigestBusy` when someone else has it."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.data_dir / "digest-send.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DigestBusy("another `digest send` is running") from None
            yield
        return
    with db.get_engine(settings).connect() as conn:
        if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}):
            raise DigestBusy("another `digest send` is running")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
            conn.commit()


def due_ids(session: Session, frequency: str, key: str, only: str | None = None) -> list[int]:
    """Confirmed subscribers of ``frequency`` without a finished send for period ``key``."""
    done = exists().where(
        and_(
            DigestSend.subscription_id == Subscription.id,
            DigestSend.period_key == key,
            DigestSend.status.in_(("sent", "failed")),
        )
    )
    query = select(Subscription.id).where(
        Subscription.status == "confirmed", Subscription.frequency == frequency, ~done
    )
    if only:
        query = query.where(Subscription.email == only.strip().lower())
    return list(session.scalars(query.order_by(Subscription.id)))


def send_digests(
    settings: Settings,
    *,
    frequencies: tuple[str, ...] = ("daily", "weekly"),
    as_of: dt.date | None = None,
    dry_run_dir: Path | None = None,
    only: str | None = None,
    progress: Progress | None = None,
) -> SendSummary:
    """Run the digests due on ``as_of`` (default: today, UTC); see the module docstring."""
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    summary = SendSummary()
    if dry_run_dir is not None:
        dry_run_dir.mkdir(parents=True, exist_ok=True)
        _run(settings, frequencies, as_of, only, summary, progress, None, dry_run_dir)
        return summary
    with run_lock(settings), SmtpSender(settings) as sender:
        _run(settings, frequencies, as_of, only, summary, progress, sender, None)
    return summary


def _run(
    settings: Settings, frequencies: tuple[str, ...], as_of: dt.date, only: str | None,
    summary: SendSummary, progress: Progress | None, sender: SmtpSender | None,
    out_dir: Path | None,
) -> None:  # fmt: skip
    with db.session_scope(settings) as session:
        work = [
            (f, sid) for f in frequencies for sid in due_ids(session, f, period_key(f, as_of), only)
        ]
        summary.due = len(work)
        composer = Composer(session, settings, as_of)
        done = 0
        for start in range(0, len(work), CHUNK):
            ids = [sid for _, sid in work[start : start + CHUNK]]
            subs = session.scalars(select(Subscription).where(Subscription.id.in_(ids))).all()
            seen = composer.seen(ids)
            for sub in sorted(subs, key=lambda s: s.id):
                digest = composer.compose(sub, seen.get(sub.id, set()))
                if digest is None:
                    summary.empty += 1
                elif out_dir is not None:
                    _write_eml(settings, out_dir, sub, digest)
                    summary.written += 1
                else:
                    assert sender is not None
                    _deliver(session, settings, sender, sub, digest, summary)
                done += 1
                if progress:
                    progress(done, summary.due)
            session.expunge_all()  # keep memory flat over 10,000 subscribers


def _message_key(digest: Digest) -> str:
    return f"{digest.period_key}:{digest.subscription_id}"


def _write_eml(settings: Settings, out_dir: Path, sub: Subscription, digest: Digest) -> None:
    msg = render_digest(settings, digest, sub.token_version, _message_key(digest))
    prepare(settings, msg)
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", sub.email)
    name = f"{digest.period_key.replace(':', '-')}-{sub.id}-{safe}.eml"
    (out_dir / name).write_bytes(serialise(settings, msg))


def _deliver(
    session: Session, settings: Settings, sender: SmtpSender, sub: Subscription,
    digest: Digest, summary: SendSummary,
) -> None:  # fmt: skip
    msg = render_digest(settings, digest, sub.token_version, _message_key(digest))
    try:
        sender.send(msg)
    except RecipientRejected as exc:
        sub.status, sub.bounce_reason = "bounced", str(exc)
        _log_send(session, digest, "failed", error=str(exc))
        summary.bounced += 1
    except MessageRejected as exc:
        _log_send(session, digest, "failed", error=str(exc))
        summary.failed += 1
    except SmtpUnavailable as exc:
        _log_send(session, digest, "pending", error=str(exc))
        session.commit()
        raise DigestAborted(
            f"{exc}; {summary.sent} sent so far, run again to send the rest"
        ) from exc
    except TemporaryFailure as exc:
        _log_send(session, digest, "pending", error=str(exc))
        summary.deferred += 1
    except MailConfigError as exc:
        raise DigestAborted(f"{exc}; check the DAILYPAPERS_SMTP_* settings") from exc
    else:
        _log_send(session, digest, "sent", message_id=msg["Message-ID"])
        sub.last_digest_at = utcnow()
        summary.sent += 1
    session.commit()


def _log_send(
    session: Session, digest: Digest, status: str, *, error: str | None = None,
    message_id: str | None = None,
) -> None:  # fmt: skip
    row = session.scalar(
        select(DigestSend).where(
            DigestSend.subscription_id == digest.subscription_id,
            DigestSend.period_key == digest.period_key,
        )
    )
    if row is None:
        row = DigestSend(subscription_id=digest.subscription_id, period_key=digest.period_key,
                         attempts=0)  # fmt: skip
        session.add(row)
    row.status, row.paper_ids, row.attempts = status, digest.paper_ids, (row.attempts or 0) + 1
    row.last_error, row.message_id = error, message_id
    if status != "sent":
        return
    row.sent_at = utcnow()
    session.flush()
    session.execute(
        insert(DigestPaper),
        [{"subscription_id": digest.subscription_id, "paper_id": pid, "send_id": row.id}
         for pid in digest.paper_ids],
    )  # fmt: skip
