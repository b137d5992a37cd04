"""Encryption at rest of channel URLs and webhook secrets.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived by HKDF-SHA256
from ``DAILYPAPERS_SECRET_KEY`` (salt and info name this purpose, so the key is unrelated to
the session-signing uses of the same secret). Changing the secret key makes stored channel
URLs unreadable: such channels are disabled with a reason asking the user to add them again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"dailypapers/channels"
_INFO = b"channel-url-encryption-v1"


class UnreadableSecret(ValueError):
    """A stored value that this secret key cannot decrypt (the key changed)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt(secret_key: str, value: str) -> str:
    return _fernet(secret_key).encrypt(value.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret(
            "this channel's address cannot be decrypted (the server's secret key changed); "
            "delete the channel and add it again"
        ) from None
