"""Mails kept as files instead of sent (``MAIL_OUTBOX_DIR``): development, and the demo, where
no SMTP server runs but a visitor who signs up still needs the confirmation link.

Each mail is one ``.eml`` file (the exact wire bytes, DKIM-signed when configured), written
whole or not at all; a mail client or a text editor opens it. The log names the file and the
links of its plain-text part, so the link of a sign-up or a password reset is in the
server's output: never set this on a public site.
"""

from __future__ import annotations

import email
import itertools
import logging
import os
import re
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

log = logging.getLogger(__name__)
_COUNTER = itertools.count()
_URL = re.compile(r"https?://[^\s<>\"']+")
_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


def write(folder: Path, recipients: list[str], data: bytes) -> Path:
    """Store one mail's bytes in ``folder``; its path (names sort by time of writing)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    to = _UNSAFE.sub("_", recipients[0] if recipients else "nobody")[:80]
    path = folder / f"{stamp}-{os.getpid()}-{next(_COUNTER):05d}-{to}.eml"
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    log.warning("mail to %s not sent (MAIL_OUTBOX_DIR): written to %s%s", ", ".join(recipients),
                path, "".join(f"\n  link: {url}" for url in links(data)))  # fmt: skip
    return path


def links(data: bytes) -> list[str]:
    """The URLs of a mail's plain-text part, in order, without repeats."""
    message = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",))
    text = part.get_content() if part is not None else ""
    return list(dict.fromkeys(u.rstrip(".,;)") for u in _URL.findall(text)))
