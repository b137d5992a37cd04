"""``dailypapers stats``: what the database holds."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from dailypapers.config import get_settings
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperVector, Subscription, User

console = Console()


def stats() -> None:
    """Count papers, feed days, users, subscribers and vectors."""
    settings = get_settings()
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        first, last, days = session.execute(
            select(
                func.min(FeedEntry.feed_date),
                func.max(FeedEntry.feed_date),
                func.count(func.distinct(FeedEntry.feed_date)),
            )
        ).one()
        rows = [
            ("papers", session.scalar(select(func.count()).select_from(Paper))),
            ("feed entries", session.scalar(select(func.count()).select_from(FeedEntry))),
            ("feed days", f"{days} ({first} to {last})" if days else "0"),
            ("users", session.scalar(select(func.count()).select_from(User))),
            ("subscriptions", session.scalar(select(func.count()).select_from(Subscription))),
            ("paper vectors", session.scalar(select(func.count()).select_from(PaperVector))),
        ]
    table = Table(title="dailypapers", show_header=False)
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)
