"""``dailypapers doctor``: check the database, index, model, mail and queue; say how to fix."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape

from dailypapers.cli.common import announce
from dailypapers.config import get_settings

console = Console()
_MARK = {"ok": "[green]ok  [/green]", "warn": "[yellow]warn[/yellow]", "fail": "[red]FAIL[/red]"}


def doctor(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per check, for scripts."),
    skip: list[str] = typer.Option(
        [],
        "--skip",
        help="Leave out a check: database, migrations, index, model, smtp, redis, "
        "site (repeatable).",
    ),
) -> None:
    """Check the database, migrations, search index, vectors, embedding model, SMTP and Redis.

    Prints what is wrong and how to fix it; exits 1 when a check fails (warnings exit 0).

    Example: dailypapers doctor --skip smtp
    """
    from dailypapers.ops.doctor import run_checks

    settings = get_settings()
    announce(settings)
    results = run_checks(settings, set(skip))
    if as_json:
        for check in results:
            typer.echo(json.dumps(check.as_dict()))
    else:
        for check in results:
            console.print(f"{_MARK[check.level]} {check.name:<16} {escape(check.found)}",
                          highlight=False, soft_wrap=True)  # fmt: skip
            if check.fix:
                console.print(f"     {'':<16} → {escape(check.fix)}", highlight=False,
                              soft_wrap=True)  # fmt: skip
    if any(check.level == "fail" for check in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
