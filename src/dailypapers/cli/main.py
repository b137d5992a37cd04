"""Entry point of the ``dailypapers`` command: assembles the command groups.

Each module in ``COMMAND_MODULES`` exposes ``register(app: typer.Typer)``, which adds its
commands or sub-groups. Errors a user can fix are raised as ``CliError`` and printed without
a traceback.
"""

from __future__ import annotations

import importlib
import logging
import os

import typer
from rich.console import Console

COMMAND_MODULES = [
    "dailypapers.cli.db_cmd",
    "dailypapers.cli.serve_cmd",
    "dailypapers.cli.import_cmd",
    "dailypapers.cli.demo_cmd",
    "dailypapers.cli.stats_cmd",
    "dailypapers.cli.index_cmd",
    "dailypapers.cli.users_cmd",
    "dailypapers.cli.ingest_cmd",
    "dailypapers.cli.worker_cmd",
    "dailypapers.cli.digest_cmd",
    "dailypapers.cli.eval_cmd",
    "dailypapers.cli.similar_cmd",
    "dailypapers.cli.mcp_cmd",
    "dailypapers.cli.channels_cmd",
]

err_console = Console(stderr=True)


class CliError(Exception):
    """A problem the user can fix; the message says how."""


app = typer.Typer(
    name="dailypapers",
    help="Self-hosted research-paper discovery: daily feed, search, digests.\n\n"
    "Settings come from DAILYPAPERS_* environment variables (see docs/configuration.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Run the CLI, turning expected failures into one-line messages and exit code 1/2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from pydantic import ValidationError

    try:
        app()
    except CliError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None
    except ValidationError as exc:
        err_console.print(f"[red]configuration error:[/red] {exc}")
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; the work done so far is saved, run again to resume")
        raise SystemExit(130) from None
