"""The error CLI commands raise for problems the user can fix."""

from __future__ import annotations


class CliError(Exception):
    """A problem the user can fix; the message says how."""
