"""The one exception community services raise for problems the caller can fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException


class CommunityError(Exception):
    """A refused action: ``status`` is the HTTP status it maps to, the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@contextmanager
def http_errors() -> Iterator[None]:
    """Turn a ``CommunityError`` raised inside the block into the matching ``HTTPException``."""
    try:
        yield
    except CommunityError as exc:
        raise HTTPException(exc.status, exc.message) from None
