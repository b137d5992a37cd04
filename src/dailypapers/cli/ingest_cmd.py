"""``dailypapers ingest run|status``: live ingestion from arXiv and Hugging Face daily papers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import SpinnerColumn, TextColumn
from rich.table import Table

from dailypapers.cli.common import EXIT_UNAVAILABLE, data_settings, progress_display
from dailypapers.cli.errors import CliError
from dailypapers.ingest import cursors, live
from dailypapers.store.papers import UpsertStats

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
ingest_app = typer.Typer(help="Fetch new papers from arXiv and Hugging Face.", no_args_is_help=True)


class Source(StrEnum):
    arxiv = "arxiv"
    hf = "hf"
    oai = "oai"
    all = "all"


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} wants a date like 2026-11-21, not {value!r}") from None


@ingest_app.command("run")
def run_cmd(
    source: Source = typer.Option(
        Source.all, "--source", help="Which upstream to read; oai (backfill) only on request."
    ),
    category: list[str] = typer.Option(
        None,
        "--category",
        help="arXiv category (repeatable); default: DAILYPAPERS_ARXIV_CATEGORIES.",
    ),
    since: str | None = typer.Option(
        None, "--since", help="Read back to this date (YYYY-MM-DD) instead of the saved cursor."
    ),
    date: str | None = typer.Option(None, "--date", help="HF only: read this one day's list."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fetch and count what would change; store nothing."
    ),
) -> None:
    """Fetch new and updated papers; resumes where the last run stopped, and a rerun adds nothing.

    Exits with status 1 when a source failed (the others still ran; see `ingest status`), 3
    when the failures were all unreachable hosts (no network or DNS; not retried).

    Example: dailypapers ingest run --source arxiv --category cs.LG --since 2026-11-01
    """
    since_day, one_day = _date(since, "--since"), _date(date, "--date")
    if one_day and since_day:
        raise CliError("give either --date or --since, not both")
    if one_day and source == Source.arxiv:
        raise CliError("--date applies to --source hf; use --since for arXiv")
    settings = data_settings()
    sources = live.SOURCES if source == Source.all else (source.value,)
    with progress_display(SpinnerColumn(), TextColumn("{task.description}"), console=console,
                  transient=True) as bar:  # fmt: skip
        task = bar.add_task("starting")
        totals: dict[str, int] = {"pages": 0, "added": 0, "updated": 0}

        def progress(name: str, stats: UpsertStats) -> None:
            totals["pages"] += 1
            totals["added"] += stats.added
            totals["updated"] += stats.updated
            bar.update(task, description=f"{name}: {totals['pages']} pages, "
                       f"{totals['added']} added, {totals['updated']} updated")  # fmt: skip

        results = live.run(settings, sources, categories=category or None, since=since_day,
                           day=one_day, progress=progress, dry_run=dry_run)  # fmt: skip
    _print_results(results)
    if dry_run:
        out.print("dry run: nothing was stored")
    failed = [r for r in results if r.error]
    if failed:  # 3: nothing could be reached (network, DNS); 1: another failure
        raise typer.Exit(EXIT_UNAVAILABLE if all(r.unreachable for r in failed) else 1)


def _print_results(results: list[live.SourceResult]) -> None:
    for r in results:
        line = f"{r.source} {r.key}: {r.added} added, {r.updated} updated, {r.skipped} unchanged"
        line += f" ({r.pages} page{'' if r.pages == 1 else 's'})"
        if r.note:
            line += f"; {r.note}"
        out.print(escape(line), highlight=False)
        if r.error:
            console.print(f"[red]error:[/red] {escape(r.error)}", highlight=False)


@ingest_app.command("status")
def status_cmd() -> None:
    """Show each source's last run, cursor, counts of its last run and last error.

    Example: dailypapers ingest status
    """
    settings = data_settings()
    rows = cursors.status(settings)
    if not rows:
        out.print("No ingestion has run yet: try `dailypapers ingest run`.")
        return
    table = Table(title="ingestion")
    for column in ("source", "key", "last run (UTC)", "last success", "cursor", "added",
                   "updated", "last error"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r.source, r.key, _when(r.last_run_at), _when(r.last_success_at),
            escape(cursors.describe(r.source, r.cursor)), str(r.added), str(r.updated),
            f"[red]{escape(r.last_error)}[/red]" if r.last_error else "",
        )  # fmt: skip
    out.print(table)


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app, name="ingest")
