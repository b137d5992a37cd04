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
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, exists, select, text
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.digest.compose import Composer, Digest, period_key
from dailypapers.digest.delivery import Delivery, DigestAborted, Job
from dailypapers.digest.render import DigestRenderer, OutgoingMail
from dailypapers.digest.sendlog import SendLog, SendRows
from dailypapers.feed.windows import Window
from dailypapers.foryou.digest import Picker, picker
from dailypapers.mail.dkim_sign import check_dkim
from dailypapers.mail.smtp import sign
from dailypapers.store import db
from dailypapers.store.models import DigestSend, Subscription

__all__ = ["DigestAborted", "DigestBusy", "SendSummary", "due_ids", "run_lock", "send_digests"]

log = logging.getLogger(__name__)
CHUNK = 200
_ADVISORY_KEY = 0x6469_6765_7374  # "digest"
Progress = Callable[[int, int], None]


class DigestBusy(RuntimeError):
    """Another digest run holds the lock."""


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
    skipped: int = 0  # unsubscribed while the run was under way

    def line(self) -> str:
        parts = [f"{self.due} due", f"{self.sent} sent"]
        for name in ("written", "empty", "skipped", "deferred", "bounced", "failed"):
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
    """Run the digests due on ``as_of`` (default: today, UTC); see the module docstring.

    Raises :class:`DigestBusy` when another run holds the lock and :class:`DigestAborted` when
    the SMTP server is unreachable or refuses our settings (what was sent stays sent).
    """
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    check_dkim(settings)
    run = _Run(settings, as_of, progress, dry_run_dir)
    if dry_run_dir is not None:
        dry_run_dir.mkdir(parents=True, exist_ok=True)
        run.execute(frequencies, only)
        return run.summary
    with run_lock(settings):
        run.execute(frequencies, only)
    return run.summary


class _Run:
    """One digest run: compose and render here, deliver through :class:`Delivery`."""

    def __init__(self, settings: Settings, as_of: dt.date, progress: Progress | None,
                 out_dir: Path | None) -> None:  # fmt: skip
        self.settings, self.as_of, self.progress, self.out_dir = settings, as_of, progress, out_dir
        self.summary = SendSummary()
        self.renderer = DigestRenderer(settings)
        self.rows: SendRows = {}
        self._lock = threading.Lock()
        self._done = 0

    def execute(self, frequencies: tuple[str, ...], only: str | None) -> None:
        with db.session_scope(self.settings) as session:
            keys = {f: period_key(f, self.as_of) for f in frequencies}
            work = [sid for f in frequencies for sid in due_ids(session, f, keys[f], only)]
            self.summary.due = len(work)
            for_you = None
            if self.settings.digest_for_you_papers:
                for_you = picker(session, self.settings.embedding_model, limit=self.settings.
                                 digest_for_you_papers, threshold=self.settings.
                                 digest_for_you_threshold)  # fmt: skip
            composer = Composer(session, self.settings, self.as_of, for_you=for_you)
            if for_you is not None:
                work = self._rank_ahead(session, composer, for_you, work)
            delivery = None if self.out_dir else Delivery(self.settings, self.rows, self.outcome)
            try:
                for start in range(0, len(work), CHUNK):
                    self._chunk(session, composer, work[start : start + CHUNK], set(keys.values()),
                                delivery)  # fmt: skip
            finally:
                if delivery is not None:
                    delivery.finish()
                if for_you is not None:
                    for_you.close()

    def _rank_ahead(self, session: Session, composer: Composer, for_you: Picker,
                    work: list[int]) -> list[int]:  # fmt: skip
        """Start ranking the linked subscribers' windows in worker processes and put their
        digests last, so that the others are composed meanwhile (mails are independent)."""
        linked = [sid for sid in work if sid in for_you.links]
        if not linked:
            return work
        windows: list[tuple[int, Window]] = []
        for start in range(0, len(linked), 500):
            part = linked[start : start + 500]
            subs = session.scalars(select(Subscription).where(Subscription.id.in_(part))).all()
            by_id = {s.id: composer.window_for(s) for s in subs}
            windows += [(sid, by_id[sid]) for sid in part if sid in by_id]
        session.commit()
        for_you.prefetch(self.settings, windows)
        chosen = set(linked)
        return [sid for sid in work if sid not in chosen] + linked

    def _chunk(self, session: Session, composer: Composer, ids: list[int], keys: set[str],
               delivery: Delivery | None) -> None:  # fmt: skip
        subs = session.scalars(select(Subscription).where(Subscription.id.in_(ids))).all()
        seen = composer.seen(ids)
        SendLog(session, self.rows).load(ids, keys)
        session.expunge_all()  # plain objects from here on: memory stays flat over 10,000
        session.commit()  # and no read transaction stays open while workers write
        for sub in sorted(subs, key=lambda s: s.id):
            digest = composer.compose(sub, seen.get(sub.id, set()))
            if digest is None:
                self.outcome("empty")
                continue
            mail = self.renderer.render(digest, sub.token_version, _message_key(digest))
            if delivery is None:
                assert self.out_dir is not None
                _write_eml(self.settings, self.out_dir, sub.email, digest, mail)
                self.outcome("written")
            else:
                delivery.submit(Job(digest, mail))

    def outcome(self, name: str) -> None:
        """Count one subscriber's outcome (called from the sending threads too)."""
        with self._lock:
            setattr(self.summary, name, getattr(self.summary, name) + 1)
            self._done += 1
            if self.progress:
                self.progress(self._done, self.summary.due)


def _message_key(digest: Digest) -> str:
    return f"{digest.period_key}:{digest.subscription_id}"


def _write_eml(settings: Settings, out_dir: Path, email: str, digest: Digest,
               mail: OutgoingMail) -> None:  # fmt: skip
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", email)
    name = f"{digest.period_key.replace(':', '-')}-{digest.subscription_id}-{safe}.eml"
    (out_dir / name).write_bytes(sign(settings, mail.data))
