"""``dailypapers import``: load page text, arXiv JSON lines or HF daily-papers JSON files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from dailypapers.cli.main import CliError
from dailypapers.config import get_settings
from dailypapers.ingest.runner import (
    FORMATS,
    ImportFailed,
    ImportReport,
    expand_paths,
    import_paths,
)
from dailypapers.store import db

console = Console(stderr=True, soft_wrap=True)
MAX_SHOWN_ERRORS = 20


def import_cmd(
    paths: list[Path] = typer.Argument(..., help="Files or folders to import (.gz is fine)."),
    fmt: str | None = typer.Option(
        None, "--format", help=f"One of {', '.join(FORMATS)}; detected from the content if unset."
    ),
    year: int | None = typer.Option(
        None, min=1991, max=2100, help="Year of page dates written without one (default: inferred)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad entry."),
) -> None:
    """Import papers into the database and the daily feed; rerunning changes nothing.

    Example: dailypapers import ../shared/corpus/pages/ arxiv-cs-74k.jsonl.gz --year 2026
    """
    try:
        files = expand_paths(paths)
    except ImportFailed as exc:
        raise CliError(f"{exc} (check the path)") from None
    settings = get_settings()
    db.ensure_schema(settings)
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
        TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("importing", total=sum(f.stat().st_size for f in files))
        sizes: dict[Path, int] = {}

        def progress(path: Path, done: int, size: int) -> None:
            sizes[path] = done
            bar.update(task, description=path.name, completed=sum(sizes.values()))

        try:
            report = import_paths(settings, files, fmt, year, strict, progress)
        except ImportFailed as exc:
            raise CliError(str(exc)) from None
    _print_report(report)
    if report.stopped:
        raise typer.Exit(1)


def _print_report(report: ImportReport) -> None:
    for issue in report.errors[:MAX_SHOWN_ERRORS]:
        console.print(f"[yellow]skipped[/yellow] {escape(str(issue))}", highlight=False)
    if len(report.errors) > MAX_SHOWN_ERRORS:
        console.print(f"… and {len(report.errors) - MAX_SHOWN_ERRORS} more bad entries")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    if report.stopped:
        console.print("[red]stopped at the first bad entry (--strict)[/red]")
    typer.echo(f"{report.files} file(s), {report.read} papers read: {report.summary()}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
