"""Domain errors: what core code raises when a caller can fix the problem.

Core packages raise these (never an HTTP exception); ``web/errors.py`` maps each class to one
HTTP status for pages and the API alike, and the CLI prints the message and exits non-zero.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused action; ``message`` says why and what to do. ``status`` is its HTTP status."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class Invalid(DomainError):
    """The input is malformed or out of range."""

    status = 400


class Unauthorized(DomainError):
    """The caller must sign in or present a valid token."""

    status = 401


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404


class Conflict(DomainError):
    """The action clashes with the current state (a duplicate, a lost race)."""

    status = 409


class TooLarge(DomainError):
    """The input exceeds a size limit."""

    status = 413


class RateLimited(DomainError):
    """Too many writes; ``retry_after`` seconds until the next is accepted."""

    status = 429

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after
