"""``dailypapers import``: load page text, arXiv JSON lines or HF daily-papers JSON files."""

from __future__ import annotations

from pathlib import Path

import psycopg
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import OperationalError

from dailypapers.cli.common import data_settings, progress_display
from dailypapers.cli.errors import CliError
from dailypapers.config import Settings
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
    embed: bool | None = typer.Option(
        None,
        "--embed/--no-embed",
        help="Embed new papers for semantic search (default: DAILYPAPERS_EMBED_ON_IMPORT).",
    ),
    vectors: Path | None = typer.Option(
        None, help="Precomputed vectors (.npy, with its .ids.txt beside it) to store after."
    ),
) -> None:
    """Import papers into the database and the daily feed; rerunning changes nothing.

    Each file is sniffed first: binary content, or content that does not look like the
    format (given or detected), is refused before anything is written. Lines that are not
    valid UTF-8 are reported with their number and their entry skipped. A rerun also embeds
    the papers of the files still without a vector (a killed import).

    Exit codes: 0 every entry imported (or already there); 1 nothing could be done (missing
    file, binary or wrong-format input, a file that yielded only bad entries, database
    unavailable, --strict stopped at a bad entry); 3 imported, but some entries were bad and
    skipped (listed on stderr); 2 is a configuration error, as for every command.

    Example: dailypapers import ../shared/corpus/pages/ arxiv-cs-74k.jsonl.gz --year 2026

    Example: dailypapers import arxiv-cs-74k.jsonl.gz --vectors arxiv-cs-74k.minilm.f16.npy
    """
    try:
        files = expand_paths(paths)
    except ImportFailed as exc:
        raise CliError(f"{exc} (check the path)") from None
    settings = data_settings(migrate=False)
    wanted = settings.embed_on_import if embed is None else embed
    if embed is not None or vectors is not None:  # precomputed vectors replace embedding
        settings = settings.model_copy(update={"embed_on_import": wanted and vectors is None})
    try:
        code = _run(settings, paths, files, fmt, year, strict)
        if vectors is not None:
            _load_vectors(settings, vectors)
            if wanted:  # papers the vector file does not cover are embedded here
                _embed_missing(settings)
        if code:
            raise typer.Exit(code)
    except (OperationalError, psycopg.OperationalError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise CliError(f"database unavailable ({reason}); check DAILYPAPERS_DATABASE_URL") from None


def _run(
    settings: Settings,
    paths: list[Path],
    files: list[Path],
    fmt: str | None,
    year: int | None,
    strict: bool,
) -> int:
    """Import, print the report; returns the exit code (see ``ImportReport.exit_code``)."""
    db.ensure_schema(settings)
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
        TimeRemainingColumn(),
    )  # fmt: skip
    with progress_display(*columns, console=console, transient=True) as bar:
        task = bar.add_task("importing", total=sum(f.stat().st_size for f in files))
        sizes: dict[Path, int] = {}

        def progress(path: Path, done: int, size: int) -> None:
            sizes[path] = done
            bar.update(task, description=path.name, completed=sum(sizes.values()))

        try:
            report = import_paths(settings, paths, fmt, year, strict, progress)
        except ImportFailed as exc:
            raise CliError(str(exc)) from None
    _print_report(report)
    if report.stopped:
        raise typer.Exit(1)
    return report.exit_code


def _embed_missing(settings: Settings) -> None:
    from dailypapers.search import backfill_vectors, get_index

    with console.status("embedding papers the vector file does not cover…"):
        done = backfill_vectors(settings, parts=False)  # the worker adds the others' part vectors
        get_index(settings).sync()
    if done:
        typer.echo(f"{done} papers without a precomputed vector embedded")


def _load_vectors(settings: Settings, path: Path) -> None:
    from dailypapers.ingest.vectors import VectorFileError, load_vector_file

    with console.status(f"storing vectors from {path.name}…"):
        try:
            stored = load_vector_file(settings, path)
        except VectorFileError as exc:
            raise CliError(str(exc)) from None
        except ValueError as exc:  # the indexer refuses vectors of another model or recipe
            raise CliError(f"vectors not stored: {exc}") from None
    typer.echo(f"{stored} vectors stored from {path}")


def _print_report(report: ImportReport) -> None:
    for issue in report.errors[:MAX_SHOWN_ERRORS]:
        console.print(f"[yellow]skipped[/yellow] {escape(str(issue))}", highlight=False)
    if report.error_count > MAX_SHOWN_ERRORS:
        console.print(f"… and {report.error_count - MAX_SHOWN_ERRORS} more bad entries")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    for failed in report.failed:
        console.print(f"[red]error:[/red] {escape(failed)}", highlight=False)
    if report.stopped:
        console.print("[red]stopped at the first bad entry (--strict)[/red]")
    typer.echo(f"{report.files} file(s), {report.read} papers read: {report.summary()}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
