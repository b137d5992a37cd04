"""Entry point of the ``dailypapers`` command: assembles the command groups.

Each module in ``COMMAND_MODULES`` exposes ``register(app: typer.Typer)``, which adds its
commands or sub-groups. Errors a user can fix are raised as ``CliError`` and printed without
a traceback.
"""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console

from dailypapers.cli import (
    channels_cmd,
    db_cmd,
    demo_cmd,
    digest_cmd,
    eval_cmd,
    import_cmd,
    index_cmd,
    ingest_cmd,
    mcp_cmd,
    serve_cmd,
    similar_cmd,
    stats_cmd,
    users_cmd,
    worker_cmd,
)
from dailypapers.cli.errors import CliError
from dailypapers.errors import DomainError

# Every command module exposes ``register(app)``; one line each.
COMMAND_MODULES = [
    db_cmd, serve_cmd, import_cmd, demo_cmd, stats_cmd, index_cmd, users_cmd, ingest_cmd,
    worker_cmd, digest_cmd, eval_cmd, similar_cmd, mcp_cmd, channels_cmd,
]  # fmt: skip

err_console = Console(stderr=True)


app = typer.Typer(
    name="dailypapers",
    help="Self-hosted research-paper discovery: daily feed, search, digests.\n\n"
    "Settings come from DAILYPAPERS_* environment variables (see docs/configuration.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Run the CLI, turning expected failures into one-line messages and exit code 1/2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from pydantic import ValidationError

    try:
        app()
    except (CliError, DomainError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None
    except ValidationError as exc:
        err_console.print(f"[red]configuration error:[/red] {exc}")
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; the work done so far is saved, run again to resume")
        raise SystemExit(130) from None
