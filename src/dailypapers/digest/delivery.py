"""Delivering rendered digests over several SMTP connections at once.

The run's main thread composes and renders; ``settings.mail_connections`` worker threads each
hold one SMTP connection and one database session, send a mail, and commit its outcome to the
send log before taking the next. A worker therefore never has more than one mail "in flight",
which is what keeps a killed run from losing or repeating anything. The rate limit is shared.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from dailypapers.config import Settings
from dailypapers.digest.compose import Digest
from dailypapers.digest.render import OutgoingMail
from dailypapers.digest.sendlog import SendLog, SendRows
from dailypapers.mail.smtp import (
    MailConfigError,
    MessageRejected,
    RateLimiter,
    RecipientRejected,
    SmtpSender,
    SmtpUnavailable,
    TemporaryFailure,
)
from dailypapers.store import db

log = logging.getLogger(__name__)


class DigestAborted(RuntimeError):
    """The run stopped early (SMTP unreachable or misconfigured); what was sent stays sent."""


@dataclass(frozen=True, slots=True)
class Job:
    digest: Digest
    mail: OutgoingMail


class Delivery:
    """A pool of sending threads; ``submit`` jobs, then ``finish`` (raises if the run broke)."""

    def __init__(self, settings: Settings, rows: SendRows, on_outcome: Callable[[str], None],
                 connections: int | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.rows = rows
        self.on_outcome = on_outcome
        self.limiter = SharedLimiter(settings.mail_rate_per_minute)
        count = max(1, connections or settings.mail_connections)
        self.jobs: queue.Queue[Job | None] = queue.Queue(maxsize=count * 4)
        self.error: BaseException | None = None
        self.broken = threading.Event()
        self.threads = [threading.Thread(target=self._work, name=f"digest-smtp-{n}", daemon=True)
                        for n in range(count)]  # fmt: skip
        for thread in self.threads:
            thread.start()

    def submit(self, job: Job) -> None:
        """Queue a mail (blocks while the workers are busy); raises once the run broke."""
        while not self.broken.is_set():
            try:
                self.jobs.put(job, timeout=0.2)
                return
            except queue.Full:
                continue
        self.finish()

    def finish(self) -> None:
        """Wait for every queued mail; re-raise what stopped the run, if anything did."""
        for _ in self.threads:
            self.jobs.put(None)  # one stop mark per worker; each worker takes exactly one
        for thread in self.threads:
            thread.join()
        self.threads = []
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        session = db.session_factory(self.settings)()
        send_log = SendLog(session, self.rows)
        stopped = False
        try:
            with SmtpSender(self.settings, limiter=self.limiter) as sender:
                while (job := self.jobs.get()) is not None:
                    if not self.broken.is_set():
                        self._deliver(sender, send_log, job)
                stopped = True
        except BaseException as exc:  # any failure stops the run; the rest stays due
            session.rollback()
            if self.error is None:
                self.error = exc
            self.broken.set()
            while not stopped and self.jobs.get() is not None:  # the producer must not block
                pass
        finally:
            session.close()

    def _deliver(self, sender: SmtpSender, send_log: SendLog, job: Job) -> None:
        digest, mail = job.digest, job.mail
        if not send_log.still_confirmed(digest.subscription_id):
            self.on_outcome("skipped")
            return
        try:
            sender.send_raw([mail.to], mail.data)
        except RecipientRejected as exc:
            send_log.bounce(digest.subscription_id, str(exc))
            self._record(send_log, digest, "bounced", "failed", error=str(exc))
        except MessageRejected as exc:
            self._record(send_log, digest, "failed", "failed", error=str(exc))
        except SmtpUnavailable as exc:
            self._record(send_log, digest, "deferred", "pending", error=str(exc))
            raise DigestAborted(f"{exc}; run again later to send the rest") from exc
        except TemporaryFailure as exc:
            self._record(send_log, digest, "deferred", "pending", error=str(exc))
        except MailConfigError as exc:
            raise DigestAborted(f"{exc}; check the DAILYPAPERS_SMTP_* settings") from exc
        else:
            self._record(send_log, digest, "sent", "sent", message_id=mail.message_id)

    def _record(self, send_log: SendLog, digest: Digest, outcome: str, status: str,
                **details: str | None) -> None:  # fmt: skip
        send_log.record(digest, status, **details)
        send_log.session.commit()
        self.on_outcome(outcome)


class SharedLimiter(RateLimiter):
    """A rate limiter that several threads take slots from."""

    def __init__(self, per_minute: int) -> None:
        super().__init__(per_minute)
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            super().wait()
