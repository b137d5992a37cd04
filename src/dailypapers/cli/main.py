"""Entry point of the ``dailypapers`` command: assembles the command groups.

Each module in ``COMMAND_MODULES`` exposes ``register(app: typer.Typer)``, which adds its
commands or sub-groups. Errors a user can fix are raised as ``CliError`` and printed without
a traceback.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from dailypapers.cli import (
    channels_cmd,
    db_cmd,
    demo_cmd,
    digest_cmd,
    doctor_cmd,
    eval_cmd,
    import_cmd,
    index_cmd,
    ingest_cmd,
    library_cmd,
    mcp_cmd,
    model_cmd,
    serve_cmd,
    similar_cmd,
    stats_cmd,
    users_cmd,
    worker_cmd,
)
from dailypapers.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    override_settings,
    safe_url,
)
from dailypapers.cli.errors import CliError
from dailypapers.config import get_settings
from dailypapers.errors import DomainError

# Every command module exposes ``register(app)``; one line each.
COMMAND_MODULES = [
    db_cmd, serve_cmd, import_cmd, demo_cmd, stats_cmd, index_cmd, users_cmd, ingest_cmd,
    worker_cmd, digest_cmd, eval_cmd, similar_cmd, mcp_cmd, channels_cmd, library_cmd,
    doctor_cmd, model_cmd,
]  # fmt: skip

err_console = Console(stderr=True)


app = typer.Typer(
    name="dailypapers",
    rich_markup_mode="markdown",
    help="Self-hosted research-paper discovery: daily feed, search, digests.\n\n"
    "Settings come from DAILYPAPERS_* environment variables (see docs/configuration.md); "
    "--data-dir and --database-url override them for one command. Commands that touch data "
    "print the database they use first.\n\n"
    "Exit codes: 0 success; 1 an error the message explains (bad input, not found, a failed "
    "source or check); 2 a usage error or an invalid configuration; 3 the database or an "
    "upstream service cannot be reached; 130 interrupted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global_options(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Data folder for this command (overrides DAILYPAPERS_DATA_DIR)."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Database for this command (overrides DAILYPAPERS_DATABASE_URL).",
    ),
) -> None:
    """Options that apply to every command, given before it: dailypapers --data-dir DIR stats."""
    override_settings(data_dir, database_url)


for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Run the CLI, turning expected failures into one-line messages and documented exit codes."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # "Loading weights" bars in logs
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from pydantic import ValidationError

    try:
        app()
    except (CliError, DomainError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(EXIT_ERROR) from None
    except ValidationError as exc:
        err_console.print(f"[red]configuration error:[/red] {exc}", highlight=False)
        raise SystemExit(EXIT_USAGE) from None
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        url = safe_url(get_settings().sqlalchemy_url)
        err_console.print(f"[red]error:[/red] cannot use the database {url}: {reason}",
                          highlight=False)  # fmt: skip
        raise SystemExit(EXIT_UNAVAILABLE) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; the work done so far is saved, run again to resume")
        raise SystemExit(EXIT_INTERRUPTED) from None


if __name__ == "__main__":
    main()
