"""Sending mail over SMTP: one reusable connection, DKIM signing, retries with backoff, a rate.

Failures are sorted by what the caller should do next:

* :class:`RecipientRejected` — the server refused the address for good (5xx on RCPT): stop
  mailing it.
* :class:`MessageRejected` — the server refused this message for good (5xx after DATA).
* :class:`TemporaryFailure` — 4xx replies or a lost connection that outlived every retry: keep
  the mail and try again on a later run. :class:`SmtpUnavailable` (a subclass) means the server
  itself could not be reached, so trying the next recipient is pointless.
* :class:`MailConfigError` — the server refused our login or sender address: fix the settings.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from dailypapers.config import Settings
from dailypapers.mail import outbox
from dailypapers.mail.dkim_sign import dkim_signature

log = logging.getLogger(__name__)


# Long header lines are legal up to 998 characters; not folding them keeps List-Unsubscribe
# URLs on one line, which some receivers parse more reliably.
SMTP_POLICY = SMTP.clone(max_line_length=998)


class MailError(Exception):
    """Base of every mail failure; ``code`` is the SMTP reply code when there was one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RecipientRejected(MailError):
    """5xx on a recipient: the address does not accept mail."""


class MessageRejected(MailError):
    """5xx after DATA: the server will not take this message."""


class TemporaryFailure(MailError):
    """A 4xx reply or a dropped connection that lasted through every retry."""


class SmtpUnavailable(TemporaryFailure):
    """The server could not be reached or kept dropping the connection."""


class MailConfigError(MailError):
    """Login or sender address refused: the SMTP settings need fixing."""


class RateLimiter:
    """Spaces calls evenly so that at most ``per_minute`` happen in any minute."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._next = 0.0

    def wait(self) -> None:
        """Sleep until the next slot is free, then take it."""
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def envelope_sender(settings: Settings) -> str:
    """The bare address of ``mail_from`` (bounces go there)."""
    return parseaddr(settings.mail_from)[1] or settings.mail_from


def prepare(settings: Settings, message: EmailMessage) -> EmailMessage:
    """Fill From, Date and Message-ID when the caller left them out."""
    if "From" not in message:
        message["From"] = settings.mail_from
    if "Date" not in message:
        message["Date"] = formatdate(usegmt=True)
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=_domain(settings))
    return message


def _domain(settings: Settings) -> str:
    address = envelope_sender(settings)
    return settings.dkim_domain or (address.rpartition("@")[2] or "localhost")


def sign(settings: Settings, data: bytes) -> bytes:
    """``data`` with a DKIM-Signature header in front when a key is configured."""
    signature = dkim_signature(settings, data)
    return signature + data if signature else data


def serialise(settings: Settings, message: EmailMessage) -> bytes:
    """The wire form of ``message`` (CRLF line ends), DKIM-signed when a key is configured."""
    return sign(settings, message.as_bytes(policy=SMTP_POLICY))


class SmtpSender:
    """A connection to the configured SMTP server, reopened when it drops.

    Use as a context manager; :meth:`send` retries temporary failures with exponential backoff
    and honours ``mail_rate_per_minute`` (pass ``rate_per_minute=0`` to disable the limit, or a
    ``limiter`` shared by several senders).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        retries: int | None = None,
        backoff: float | None = None,
        rate_per_minute: int | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.retries = settings.mail_retries if retries is None else retries
        self.backoff = settings.mail_retry_backoff_seconds if backoff is None else backoff
        rate = settings.mail_rate_per_minute if rate_per_minute is None else rate_per_minute
        self.limiter = limiter or RateLimiter(rate)
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT politely; ignore a server that is already gone."""
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to the server; returns once the server accepted it (2xx)."""
        prepare(self.settings, message)
        recipients = [addr for _, addr in getaddresses(message.get_all("To", []))]
        self.send_raw(recipients, message.as_bytes(policy=SMTP_POLICY))

    def send_raw(self, recipients: list[str], data: bytes) -> None:
        """Deliver ready wire bytes (CRLF lines), DKIM-signing them first when configured."""
        data = sign(self.settings, data)
        if self.settings.mail_outbox_dir is not None:  # development: a file, not SMTP
            outbox.write(self.settings.mail_outbox_dir, recipients, data)
            return
        sender = envelope_sender(self.settings)
        last: TemporaryFailure | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self.limiter.wait()
            try:
                self._transaction(sender, recipients, data)
                return
            except TemporaryFailure as exc:
                if isinstance(exc, SmtpUnavailable):
                    self._drop()
                log.info("temporary SMTP failure (attempt %d): %s", attempt + 1, exc)
                last = exc
        assert last is not None
        raise last

    def _transaction(self, sender: str, recipients: list[str], data: bytes) -> None:
        try:
            self._connection().sendmail(sender, recipients, data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            _raise_for(code, text, RecipientRejected, "recipient refused")
        except smtplib.SMTPSenderRefused as exc:
            _raise_for(exc.smtp_code, exc.smtp_error, MailConfigError, "sender refused")
        except smtplib.SMTPDataError as exc:
            _raise_for(exc.smtp_code, exc.smtp_error, MessageRejected, "message refused")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailConfigError(f"SMTP login refused: {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpUnavailable(f"SMTP connection failed: {exc or type(exc).__name__}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        timeout = s.smtp_timeout_seconds
        if s.smtp_tls == "ssl":
            context = ssl.create_default_context()
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=timeout, context=context
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout)
            if s.smtp_tls == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password or "")
        return conn


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _raise_for(code: int, reply: bytes | str, permanent: type[MailError], what: str) -> None:
    message = f"{what}: {code} {_text(reply)}"
    if 500 <= code < 600:
        raise permanent(message, code)
    if code in (-1, 421):  # smtplib's "connection lost"; 421 closes the channel
        raise SmtpUnavailable(message, code)
    raise TemporaryFailure(message, code)


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Send one mail now (confirmations, password resets); raises a :class:`MailError`."""
    with SmtpSender(settings, rate_per_minute=0) as sender:
        sender.send(message)
