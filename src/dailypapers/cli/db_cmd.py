"""``dailypapers db``: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

from dailypapers.config import get_settings
from dailypapers.store import db

db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
console = Console()


@db_app.command("upgrade")
def upgrade_cmd() -> None:
    """Create or migrate the database schema to the newest version.

    Example: DAILYPAPERS_DATABASE_URL=postgresql+psycopg://user@host/db dailypapers db upgrade
    """
    settings = get_settings()
    db.upgrade(settings)
    console.print(f"database at newest schema: {_safe_url(settings.sqlalchemy_url)}")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
