"""What every command shares: the database it works on, the line naming it, progress bars.

Commands that read or write data start with ``settings = data_settings()``: it prints one
line naming the database (password hidden) on standard error — so that nobody mistakes an
empty ``./data`` for their real one — and brings a fresh database to the newest schema.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, ProgressColumn
from sqlalchemy.engine import make_url

from dailypapers.config import Settings, get_settings
from dailypapers.store import db

# Exit codes of every command (documented in docs/cli.md's preamble and docs/operations.md).
EXIT_OK = 0
EXIT_ERROR = 1  # an error the message explains: bad input, not found, a failed source
EXIT_USAGE = 2  # unknown option or bad value (Click), or an invalid configuration
EXIT_UNAVAILABLE = 3  # the database or an upstream service cannot be reached
EXIT_INTERRUPTED = 130

_announced: set[str] = set()
_data_dir_option: list[Path] = []  # the global --data-dir of this process, if given
err_console = Console(stderr=True)


def override_settings(data_dir: Path | None, database_url: str | None) -> None:
    """Apply the global ``--data-dir``/``--database-url`` options for this process and its
    children (``serve --workers`` starts processes that read the same environment)."""
    if data_dir is not None:
        _data_dir_option[:] = [data_dir]
        os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir.expanduser().resolve())
    if database_url is not None:
        os.environ["DAILYPAPERS_DATABASE_URL"] = database_url
    get_settings.cache_clear()


def overridden_data_dir() -> Path | None:
    """The global ``--data-dir`` given on this command line, if any."""
    return _data_dir_option[0] if _data_dir_option else None


def safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    return make_url(url).render_as_string(hide_password=True)


def describe_database(settings: Settings) -> str:
    """``database: sqlite:////abs/path/dailypapers.sqlite3`` (password hidden)."""
    return f"database: {safe_url(settings.sqlalchemy_url)}"


def announce(settings: Settings) -> None:
    """Print the database line once per process (first line of a command's output)."""
    url = settings.sqlalchemy_url
    if url not in _announced:
        _announced.add(url)
        err_console.print(describe_database(settings), highlight=False, soft_wrap=True)


def data_settings(*, migrate: bool = True) -> Settings:
    """The settings of a command that touches data: announced, and the schema upgraded."""
    settings = get_settings()
    announce(settings)
    if migrate:
        db.ensure_schema(settings)
    return settings


def interactive() -> bool:
    """Whether standard error is a terminal (progress bars and spinners only then)."""
    return sys.stderr.isatty()


def progress_display(
    *columns: str | ProgressColumn, console: Console, transient: bool = False
) -> Progress:
    """A progress display that stays silent in logs and pipes (non-interactive runs)."""
    return Progress(*columns, console=console, transient=transient, disable=not interactive())
