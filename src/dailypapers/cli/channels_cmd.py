"""``dailypapers channels``: send channel alerts and digests now (operators, cron, tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from dailypapers.cli.errors import CliError
from dailypapers.config import get_settings
from dailypapers.store import db

channels_app = typer.Typer(help="Digests and alerts to Slack, Discord, Matrix, ntfy, webhooks.")


@channels_app.command("send")
def send(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Write the messages instead of sending; record nothing."
    ),
    to_dir: Path | None = typer.Option(
        None, "--to-dir", help="With --dry-run: one Markdown file per message in this folder."
    ),
    only: str = typer.Option("all", "--only", help="`alerts`, `digests` or `all`."),
    day: str | None = typer.Option(
        None, "--date", help="Digest day YYYY-MM-DD (default: today, UTC)."
    ),
) -> None:
    """Send pending follow alerts (a batch of the papers new since the last one) and the
    digests due today; each message at most once per channel, whatever was interrupted.

    Example: dailypapers channels send --dry-run --to-dir /tmp/channel-messages
    """
    from dailypapers.channels import Options, send_alerts, send_digests
    from dailypapers.channels.tasks import frequencies_due

    if only not in ("all", "alerts", "digests"):
        raise CliError("--only must be alerts, digests or all")
    try:
        today = dt.date.fromisoformat(day) if day else dt.datetime.now(dt.UTC).date()
    except ValueError:
        raise CliError(f"--date {day!r} is not YYYY-MM-DD") from None
    settings = get_settings()
    db.ensure_schema(settings)
    opts = Options(dry_run=dry_run, out_dir=to_dir, printer=typer.echo)
    if only in ("all", "alerts"):
        typer.echo(f"alerts: {send_alerts(settings, opts).line()}", err=True)
    if only in ("all", "digests"):
        due = frequencies_due(settings.digest_weekly_day, today)
        typer.echo(f"digests: {send_digests(settings, due, today, opts).line()}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(channels_app, name="channels")
