"""``dailypapers db``: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from dailypapers.cli.common import data_settings, safe_url
from dailypapers.store import db

db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
console = Console()


@db_app.command("upgrade")
def upgrade_cmd() -> None:
    """Create or migrate the database schema to the newest version.

    Example: DAILYPAPERS_DATABASE_URL=postgresql+psycopg://user@host/db dailypapers db upgrade
    """
    settings = data_settings(migrate=False)
    db.upgrade(settings)
    console.print(f"database at newest schema: {safe_url(settings.sqlalchemy_url)}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
