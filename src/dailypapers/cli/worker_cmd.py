"""``dailypapers worker``: run background jobs and the schedule (ingestion, digests, ...)."""

from __future__ import annotations

import datetime as dt
import logging

import typer
from rich.console import Console
from rich.table import Table

from dailypapers import jobs
from dailypapers.cli.common import data_settings
from dailypapers.cli.errors import CliError
from dailypapers.config import Settings

console = Console(stderr=True, soft_wrap=True)
SCHEDULE_SETTINGS = ("ingest_arxiv_cron", "ingest_hf_cron", "index_backfill_cron")


def worker(
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="Tasks run at once (default DAILYPAPERS_WORKER_THREADS)."
    ),
    no_schedule: bool = typer.Option(
        False, "--no-schedule", help="Only run queued tasks; do not start periodic ones."
    ),
    show_schedule: bool = typer.Option(
        False, "--show-schedule", help="Print the periodic tasks and their next runs, then exit."
    ),
) -> None:
    """Run the job queue: scheduled ingestion, digests and tasks queued by the web app.

    The queue is SQLite in DATA_DIR/jobs.sqlite3, or Redis when DAILYPAPERS_REDIS_URL is
    set. Ctrl-C stops after the running tasks finish; SIGTERM stops at once.

    Example: DAILYPAPERS_INGEST_HF_CRON="0 */6 * * *" dailypapers worker --threads 2
    """
    settings = data_settings()
    _check_schedules(settings)
    jobs.configure(settings)
    loaded = jobs.load_task_modules()
    if show_schedule:
        _print_schedule()
        return
    logging.getLogger("huey").setLevel(logging.INFO)
    logging.getLogger("dailypapers").setLevel(logging.INFO)
    workers = threads or settings.worker_threads
    console.print(
        f"worker: {workers} thread(s), queue {jobs.huey.backend}, "
        f"tasks from {', '.join(m.rsplit('.', 2)[-2] for m in loaded) or 'nothing'}"
    )
    consumer = jobs.huey.create_consumer(
        workers=workers,
        periodic=not no_schedule,
        worker_type="thread",
        check_worker_health=True,
        flush_locks=True,  # locks of a worker that was killed mid-task would block forever
    )
    consumer.run()


def _check_schedules(settings: Settings) -> None:
    for name in SCHEDULE_SETTINGS:
        value = getattr(settings, name, "") or ""
        if not value.strip():
            continue
        try:
            jobs.cron(value)(dt.datetime(2026, 1, 1))
        except ValueError as exc:
            env = f"DAILYPAPERS_{name.upper()}"
            raise CliError(f"{env}={value!r} is not a cron expression: {exc}") from None


def next_runs(validate, start: dt.datetime, count: int = 2) -> list[dt.datetime]:  # type: ignore[no-untyped-def]
    """The next ``count`` minutes (within 8 days) at which a periodic validator fires."""
    found: list[dt.datetime] = []
    moment = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    for _ in range(8 * 24 * 60):
        if validate(moment):
            found.append(moment)
            if len(found) == count:
                break
        moment += dt.timedelta(minutes=1)
    return found


def _print_schedule() -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    table = Table(title="periodic tasks (UTC)")
    table.add_column("task")
    table.add_column("next runs")
    for task in jobs.huey._registry.periodic_tasks:
        runs = next_runs(task.validate_datetime, now)
        table.add_row(task.name, ", ".join(r.strftime("%a %Y-%m-%d %H:%M") for r in runs) or "off")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
