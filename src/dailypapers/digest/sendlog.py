"""The send log (``digest_sends`` + ``digest_papers``), written with plain Core statements.

One transaction per mail outcome: the row that says "sent", the papers it carried and the
subscriber's ``last_digest_at`` are committed together, and only after the SMTP server
accepted the mail. Existing rows of a chunk of subscribers are read in one query, so that a
run does no read per mail.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dailypapers.digest.compose import Digest
from dailypapers.store.models import DigestPaper, DigestSend, Subscription, table_of, utcnow

# Core tables, not ORM classes: an ORM UPDATE would scan the session's identity map each time.
_SUBS = table_of(Subscription)
_SENDS = table_of(DigestSend)
_PAPERS = table_of(DigestPaper)  # and an ORM INSERT of many rows takes the slower bulk path


SendRows = dict[tuple[int, str], tuple[int, int]]  # (subscriber, period) → (row id, attempts)


class SendLog:
    """Records outcomes of the mails of one run (``rows`` may be shared between threads)."""

    def __init__(self, session: Session, rows: SendRows | None = None) -> None:
        self.session = session
        self._rows: SendRows = {} if rows is None else rows

    def load(self, subscription_ids: list[int], period_keys: set[str]) -> None:
        """Read the existing rows (earlier attempts) of these subscribers and periods."""
        rows = self.session.execute(
            select(DigestSend.subscription_id, DigestSend.period_key, DigestSend.id,
                   DigestSend.attempts)
            .where(DigestSend.subscription_id.in_(subscription_ids),
                   DigestSend.period_key.in_(period_keys))
        )  # fmt: skip
        for sid, key, row_id, attempts in rows:
            self._rows[(sid, key)] = (row_id, attempts or 0)

    def record(
        self, digest: Digest, status: str, *, error: str | None = None,
        message_id: str | None = None,
    ) -> None:  # fmt: skip
        """Write the outcome of ``digest`` (the caller commits)."""
        key = (digest.subscription_id, digest.period_key)
        now = utcnow()
        values = {
            "status": status, "paper_ids": digest.paper_ids, "last_error": error,
            "message_id": message_id, "sent_at": now if status == "sent" else None,
        }  # fmt: skip
        if key in self._rows:
            row_id, attempts = self._rows[key]
            self.session.execute(update(_SENDS).where(_SENDS.c.id == row_id)
                                 .values(attempts=attempts + 1, **values))  # fmt: skip
        else:
            row_id, attempts = self.session.execute(
                insert(_SENDS).values(subscription_id=digest.subscription_id,
                                      period_key=digest.period_key, attempts=1,
                                      created_at=now, **values)
                .returning(_SENDS.c.id, _SENDS.c.attempts)
            ).one()  # fmt: skip
            attempts -= 1
        self._rows[key] = (row_id, attempts + 1)
        if status == "sent":
            self._sent(digest, row_id, now)

    def _sent(self, digest: Digest, row_id: int, now) -> None:  # type: ignore[no-untyped-def]
        self.session.execute(insert(_PAPERS), [
            {"subscription_id": digest.subscription_id, "paper_id": pid, "send_id": row_id}
            for pid in digest.paper_ids
        ])  # fmt: skip
        self.session.execute(update(_SUBS).where(_SUBS.c.id == digest.subscription_id)
                             .values(last_digest_at=now))  # fmt: skip

    def still_confirmed(self, subscription_id: int) -> bool:
        """Whether the subscriber is still active: an unsubscribe mid-run takes effect at once."""
        status = self.session.execute(
            select(_SUBS.c.status).where(_SUBS.c.id == subscription_id)
        ).scalar()
        self.session.rollback()  # end the read so that no snapshot lingers between mails
        return status == "confirmed"

    def bounce(self, subscription_id: int, reason: str) -> None:
        """Stop mailing an address the server refused for good."""
        self.session.execute(update(_SUBS).where(_SUBS.c.id == subscription_id)
                             .values(status="bounced", bounce_reason=reason[:2000]))  # fmt: skip
