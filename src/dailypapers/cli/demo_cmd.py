"""``dailypapers demo``: a data folder filled with the bundled sample corpus, then served."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from dailypapers.config import Settings, get_settings
from dailypapers.store import db

console = Console(stderr=True)


def demo(
    data_dir: Path = typer.Option(Path("./demo-data"), help="Folder for the demo's database."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Only fill the folder, do not serve."),
) -> None:
    """Fill a data folder with ~2,700 sample papers (once) and serve them.

    The sample holds the four Daily Papers sample pages and the last two weeks of a
    74k-paper arXiv corpus with precomputed vectors, so semantic search works at once.

    Example: dailypapers demo --data-dir ./demo-data --port 8000
    """
    # The demo is self-contained: its own SQLite file in its own folder, also for the server.
    os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir.resolve())
    os.environ["DAILYPAPERS_DATABASE_URL"] = ""
    get_settings.cache_clear()
    settings = get_settings()
    db.ensure_schema(settings)
    _fill(settings)
    if no_serve:
        return
    import uvicorn

    console.print(f"serving the demo on [bold]http://{host}:{port}[/bold] (Ctrl-C stops)")
    uvicorn.run("dailypapers.web.asgi:app", host=host, port=port, log_level="warning")


def _fill(settings: Settings) -> None:
    from dailypapers.ingest.sample import is_loaded, load_sample

    if is_loaded(settings):
        console.print(f"demo data already in {settings.data_dir}")
        return
    with console.status("importing the sample corpus and its vectors…"):
        report = load_sample(settings)
    if report is not None:
        console.print(f"demo data in {settings.data_dir}: {report.summary()}")
        for warning in report.warnings:
            console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
