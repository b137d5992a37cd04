"""``dailypapers stats``: what the database holds."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from dailypapers.cli.common import data_settings
from dailypapers.store import db
from dailypapers.store.queries.stats import database_counts

console = Console()


def stats() -> None:
    """Count papers, feed days, users, subscribers and vectors."""
    settings = data_settings()
    with db.session_scope(settings) as session:
        rows = database_counts(session)
    table = Table(title="dailypapers", show_header=False)
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)
