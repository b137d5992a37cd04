"""Outgoing mail: ``send_message(settings, message)`` and the reusable ``SmtpSender``."""

from dailypapers.mail.dkim_sign import DkimConfigError, check_dkim, dkim_signature
from dailypapers.mail.smtp import (
    MailConfigError,
    MailError,
    MessageRejected,
    RateLimiter,
    RecipientRejected,
    SmtpSender,
    SmtpUnavailable,
    TemporaryFailure,
    prepare,
    send_message,
    serialise,
    sign,
)

__all__ = [
    "DkimConfigError",
    "MailConfigError",
    "MailError",
    "MessageRejected",
    "RateLimiter",
    "RecipientRejected",
    "SmtpSender",
    "SmtpUnavailable",
    "TemporaryFailure",
    "check_dkim",
    "dkim_signature",
    "prepare",
    "send_message",
    "serialise",
    "sign",
]
