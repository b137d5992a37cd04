"""``dailypapers digest``: send the e-mail digests (or write them to disk), list subscribers."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from dailypapers.cli.common import data_settings, progress_display
from dailypapers.cli.errors import CliError
from dailypapers.store import db
from dailypapers.store.queries.stats import list_subscriptions, subscription_counts

console = Console(stderr=True)
STATUSES = ("pending", "confirmed", "unsubscribed", "bounced")
digest_app = typer.Typer(help="E-mail digests: send them, preview them, list subscribers.",
                         no_args_is_help=True)  # fmt: skip


def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"invalid --date {text!r}: use YYYY-MM-DD, e.g. 2025-03-18") from None


@digest_app.command("send")
def send(
    frequency: str | None = typer.Option(
        None, help="Only `daily` or only `weekly` subscribers (default: both)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Render the mails to .eml files (see --to-dir); send nothing."
    ),
    to_dir: Path | None = typer.Option(
        None,
        "--to-dir",
        help="With --dry-run: write each mail as a .eml file here (default: a new temporary "
        "folder, printed at the end). Implies --dry-run.",
    ),
    only: str | None = typer.Option(None, "--only", help="Just this subscriber's address."),
    date: str | None = typer.Option(
        None, "--date", help="Send the digest of this day (YYYY-MM-DD; default today, UTC)."
    ),
) -> None:
    """Send the digests that are due; safe to rerun (each subscriber gets one per period).

    Example: dailypapers digest send --dry-run --to-dir /tmp/digests --only ada@example.org
    """
    from dailypapers.digest.send import DigestAborted, DigestBusy, send_digests
    from dailypapers.mail import DkimConfigError

    if frequency not in (None, "daily", "weekly"):
        raise CliError("--frequency must be daily or weekly")
    dry_run = dry_run or to_dir is not None
    if dry_run and to_dir is None:
        to_dir = Path(tempfile.mkdtemp(prefix="dailypapers-digests-"))
    settings = data_settings()
    if not dry_run and not settings.base_url.startswith("https://"):
        console.print(f"[yellow]warning:[/yellow] DAILYPAPERS_BASE_URL is {settings.base_url}; "
                      "mailbox providers only honour one-click unsubscribe over https")  # fmt: skip
    frequencies = (frequency,) if frequency else ("daily", "weekly")
    columns = (TextColumn("[bold]digests"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with progress_display(*columns, console=console, transient=True) as bar:
        task = bar.add_task("digests", total=None)
        try:
            summary = send_digests(
                settings, frequencies=frequencies, as_of=_parse_date(date), dry_run_dir=to_dir,
                only=only, progress=lambda done, total: bar.update(task, completed=done,
                                                                  total=total),
            )  # fmt: skip
        except (DigestBusy, DigestAborted, DkimConfigError) as exc:
            raise CliError(str(exc)) from None
    typer.echo(f"digests: {summary.line()}" + (f" → {to_dir}" if to_dir else ""))


@digest_app.command("list")
def list_subscribers(
    status: str | None = typer.Option(
        None, help="Only pending, confirmed, unsubscribed or bounced subscribers."
    ),
    limit: int = typer.Option(50, min=1, help="At most this many rows."),
) -> None:
    """Show subscribers with their frequency, topics and last digest, and counts by status.

    Example: dailypapers digest list --status bounced
    """
    if status is not None and status not in STATUSES:
        raise CliError(f"unknown --status {status!r}: use one of {', '.join(STATUSES)}")
    settings = data_settings()
    with db.session_scope(settings) as session:
        counts = subscription_counts(session)
        rows = list_subscriptions(session, status, limit)
    table = Table("email", "status", "frequency", "topics", "last digest")
    for sub in rows:
        last = f"{sub.last_digest_at:%Y-%m-%d %H:%M}" if sub.last_digest_at else "never"
        table.add_row(sub.email, sub.status, sub.frequency, "; ".join(sub.topics or []), last)
    Console().print(table)
    typer.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no subscribers")


def register(app: typer.Typer) -> None:
    app.add_typer(digest_app, name="digest")
