"""The job runner: Huey configuration, the ingestion schedule, and a real ``dailypapers worker``."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from dailypapers import jobs
from dailypapers.ingest import cursors
from dailypapers.store import db
from dailypapers.store.models import Paper
from tests.ingest_fixtures import cli_env, ingest_settings, upstream, wait_for  # noqa: F401

CLI = "from dailypapers.cli.main import main; main()"
MONDAY_0115 = dt.datetime(2026, 11, 23, 1, 15)


@pytest.fixture
def fresh_jobs() -> Iterator[None]:
    """Leave the shared ``huey`` as we found it: lazily configured from the environment."""
    yield
    jobs.configure(None, immediate=False)


def _paper_count(settings) -> int:
    with db.session_scope(settings) as s:
        return s.scalar(select(func.count()).select_from(Paper))


def test_storage_follows_settings(settings, fresh_jobs) -> None:
    jobs.configure(settings)
    assert jobs.huey.backend == "sqlite"
    assert jobs.huey.storage.filename == str((settings.data_dir / "jobs.sqlite3").resolve())
    jobs.configure(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/14"}))
    assert jobs.huey.backend == "redis"
    jobs.configure(settings, immediate=True)
    assert jobs.huey.backend == "memory"


def test_task_modules_are_loaded() -> None:
    loaded = jobs.load_task_modules()
    assert "dailypapers.ingest.tasks" in loaded
    names = {t.name for t in jobs.huey._registry.periodic_tasks}
    assert {"ingest_arxiv", "ingest_hf"} <= names


def test_schedule_reads_settings(settings, fresh_jobs) -> None:
    from dailypapers.ingest import tasks

    jobs.configure(settings)
    arxiv = tasks.ingest_arxiv.task_class().validate_datetime
    hf = tasks.ingest_hf.task_class().validate_datetime
    assert arxiv(MONDAY_0115) and not arxiv(MONDAY_0115.replace(minute=16))
    assert not arxiv(dt.datetime(2026, 11, 21, 1, 15))  # Saturday: no announcement
    assert not arxiv(MONDAY_0115.replace(hour=12))
    assert hf(dt.datetime(2026, 11, 21, 23, 40)) and not hf(MONDAY_0115)
    jobs.configure(settings.model_copy(update={"ingest_arxiv_cron": "*/30 * * * *"}))
    assert arxiv(dt.datetime(2026, 11, 21, 12, 30))
    jobs.configure(settings.model_copy(update={"ingest_arxiv_cron": ""}))
    assert not arxiv(MONDAY_0115)  # empty disables


def test_periodic_tasks_ingest_in_immediate_mode(ingest_settings, upstream, fresh_jobs) -> None:  # noqa: F811
    from dailypapers.ingest import tasks

    jobs.configure(ingest_settings, immediate=True)
    tasks.ingest_arxiv()  # enqueued, and run at once (periodic tasks keep no result)
    assert _paper_count(ingest_settings) == 6
    assert {s.key: s.added for s in cursors.status(ingest_settings)} == {"cs.LG": 5, "cs.CL": 1}
    assert tasks.ingest_now("hf")() is not None
    assert upstream.hits("/api/daily_papers")


def _run_worker(settings, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "worker", "--threads", "1"],
        env=cli_env(settings, ingest_arxiv_cron="* * * * *", ingest_hf_cron="", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.stdout.read().decode(errors="replace")


def _worker_round_trip(settings, upstream, redis_url: str | None = None) -> None:  # noqa: F811
    env = {"redis_url": redis_url} if redis_url else {}
    queue_settings = settings.model_copy(update={"redis_url": redis_url})
    jobs.configure(queue_settings)
    jobs.huey.flush()
    from dailypapers.ingest import tasks

    tasks.LOCKS["arxiv"].acquire()  # as if a worker had been killed in the middle of a run
    proc = _run_worker(settings, **env)
    try:
        # the schedule fires at once ("* * * * *"): arXiv lands without anyone asking, and the
        # stale lock was cleared when the worker started
        wait_for(lambda: cursors.read(settings, "arxiv", "cs.CL").get("watermark")
                 or proc.poll() is not None)  # fmt: skip
        assert proc.poll() is None
        assert _paper_count(settings) == 6
        # a task queued from another process (as the web app would) runs in the worker
        result = tasks.ingest_now("hf")
        summary = result.get(blocking=True, timeout=60)
        assert summary[0]["source"] == "hf" and summary[0]["error"] is None
    finally:
        output = _stop(proc)
    assert "worker: 1 thread(s), queue " + ("redis" if redis_url else "sqlite") in output
    assert upstream.hits("/api/daily_papers")


def test_worker_runs_schedule_and_queued_tasks(ingest_settings, upstream, fresh_jobs) -> None:  # noqa: F811
    _worker_round_trip(ingest_settings, upstream)
    assert (ingest_settings.data_dir / "jobs.sqlite3").exists()


@pytest.mark.redis
def test_worker_on_redis(ingest_settings, upstream, fresh_jobs) -> None:  # noqa: F811
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    _worker_round_trip(ingest_settings, upstream, redis_url=url)
    assert not (ingest_settings.data_dir / "jobs.sqlite3").exists()


def test_bad_schedule_is_a_clear_error(ingest_settings) -> None:  # noqa: F811
    proc = subprocess.run(
        [sys.executable, "-c", CLI, "worker", "--show-schedule"],
        env=cli_env(ingest_settings, ingest_hf_cron="99 * * * *"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "DAILYPAPERS_INGEST_HF_CRON='99 * * * *' is not a cron expression" in proc.stderr
    assert "Traceback" not in proc.stderr
