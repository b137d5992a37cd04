"""DKIM signing (RFC 6376) with ``dkimpy`` when a key, selector and domain are configured.

RFC 8058 requires the signature to cover ``List-Unsubscribe`` and ``List-Unsubscribe-Post``, so
both are always in the signed header list (signing a header that a mail lacks is harmless: it
only forbids adding one later).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dkim

from dailypapers.config import Settings

SIGNED_HEADERS = (
    b"From", b"To", b"Subject", b"Date", b"Message-ID", b"MIME-Version", b"Content-Type",
    b"List-Unsubscribe", b"List-Unsubscribe-Post", b"List-Id", b"Reply-To",
)  # fmt: skip


class DkimConfigError(ValueError):
    """DKIM is half-configured or its key cannot be read."""


def dkim_enabled(settings: Settings) -> bool:
    """True when all three DKIM settings are present (a partial set is an error)."""
    parts = (settings.dkim_private_key, settings.dkim_selector, settings.dkim_domain)
    if all(parts):
        return True
    if any(parts):
        raise DkimConfigError(
            "DKIM needs all of DAILYPAPERS_DKIM_PRIVATE_KEY, DAILYPAPERS_DKIM_SELECTOR and "
            "DAILYPAPERS_DKIM_DOMAIN (or none of them)."
        )
    return False


@lru_cache(maxsize=4)
def _read_key(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DkimConfigError(f"cannot read the DKIM key {path}: {exc.strerror}") from exc


def check_dkim(settings: Settings) -> None:
    """Fail early (:class:`DkimConfigError`) on a partial DKIM setup or an unreadable key."""
    if dkim_enabled(settings):
        _read_key(str(settings.dkim_private_key))


def dkim_signature(settings: Settings, message: bytes) -> bytes:
    """The ``DKIM-Signature:`` header line (CRLF-terminated) for ``message``, or ``b""``."""
    if not dkim_enabled(settings):
        return b""
    assert settings.dkim_private_key and settings.dkim_selector and settings.dkim_domain
    return dkim.sign(
        message,
        settings.dkim_selector.encode(),
        settings.dkim_domain.encode(),
        _read_key(str(settings.dkim_private_key)),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=list(SIGNED_HEADERS),
    )
