"""The error community services raise for problems the caller can fix."""

from __future__ import annotations

from dailypapers.errors import DomainError


class CommunityError(DomainError):
    """A refused community action; ``status`` is the HTTP status it maps to."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message, status=status)
