"""The digest job (worker schedule), the confirmation-mail retry queue and the CLI."""

from __future__ import annotations

import datetime as dt
import email
import os
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from dailypapers import jobs
from dailypapers.digest.tasks import frequencies_due, send_now_or_queue, send_scheduled_digests
from tests.digest_fixtures import (  # noqa: F401  (smtp_server_fixture is smtp_server)
    add_papers,
    add_subscribers,
    free_port,
    smtp_server_fixture,
    text_part,
)

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def restore_jobs():
    yield
    jobs.configure(None, immediate=False)


def test_weekly_digests_start_on_the_configured_weekday(settings):
    monday, sunday = dt.date(2025, 3, 17), dt.date(2025, 3, 16)
    assert frequencies_due(settings, monday) == ("daily", "weekly")
    assert frequencies_due(settings, sunday) == ("daily", "weekly")  # catching up late in week
    thursday = settings.model_copy(update={"digest_weekly_day": 4})
    assert frequencies_due(thursday, monday) == ("daily",)


def test_scheduled_task_sends_the_digests(settings, smtp_server, restore_jobs):
    settings = smtp_server.settings(settings)
    add_papers(settings, TODAY, [{"title": "Scheduled paper", "upvotes": 4}])
    add_subscribers(settings, ["job@example.org"])
    jobs.configure(settings, immediate=True)
    send_scheduled_digests()
    [mail] = smtp_server.to("job@example.org")
    assert "Scheduled paper" in text_part(mail.message)
    send_scheduled_digests()  # the same day again: nothing more
    assert len(smtp_server.messages) == 1


def test_confirmation_is_queued_when_smtp_is_down_and_the_worker_delivers_it(
    settings, smtp_server, restore_jobs
):
    down = settings.model_copy(update={"smtp_port": free_port(), "mail_retries": 0})
    jobs.configure(down, immediate=False)
    msg = EmailMessage()
    msg["To"], msg["Subject"] = "later@example.org", "Confirm your subscription"
    msg.set_content("link")
    send_now_or_queue(down, msg)
    assert jobs.huey.pending_count() == 1
    jobs.configure(smtp_server.settings(settings))  # the worker, with SMTP back up
    task = jobs.huey.dequeue()
    jobs.huey.execute(task)
    [mail] = smtp_server.to("later@example.org")
    assert mail.message["Subject"] == "Confirm your subscription"


def _cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update({"DAILYPAPERS_CONFIG_FILE": "/nonexistent", "DAILYPAPERS_DATA_DIR":
                str(settings.data_dir), "DAILYPAPERS_SECRET_KEY": settings.secret_key,
                "DAILYPAPERS_SMTP_PORT": str(settings.smtp_port)})  # fmt: skip
    if settings.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = settings.database_url
    code = "from dailypapers.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_cli_dry_run_list_and_clear_errors(settings, smtp_server, tmp_path):
    settings = smtp_server.settings(settings)
    day = dt.date(2025, 3, 18)
    add_papers(settings, day, [{"title": "CLI paper", "upvotes": 2}])
    add_subscribers(settings, ["cli@example.org", "cli2@example.org"])
    out = tmp_path / "eml"
    result = _cli(settings, "digest", "send", "--dry-run", "--to-dir", str(out), "--date",
                  day.isoformat(), "--frequency", "daily")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "digests: 2 due, 0 sent, 2 written" in result.stdout
    files = sorted(out.glob("*.eml"))
    assert len(files) == 2 and smtp_server.messages == []
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sent = _cli(settings, "digest", "send", "--date", day.isoformat(), "--only", "cli@example.org")
    assert "1 due, 1 sent" in sent.stdout and len(smtp_server.messages) == 1
    listing = _cli(settings, "digest", "list")
    assert "cli@example.org" in listing.stdout and "2 confirmed" in listing.stdout
    temp = _cli(settings, "digest", "send", "--dry-run", "--date", day.isoformat())
    assert temp.returncode == 0 and "dailypapers-digests-" in temp.stdout  # a temporary folder
    assert temp.stderr.startswith("database: ")
    bad = _cli(settings, "digest", "list", "--status", "foo")
    assert bad.returncode == 1 and "unknown --status 'foo'" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad_date = _cli(settings, "digest", "send", "--date", "yesterday")
    assert bad_date.returncode == 1 and "YYYY-MM-DD" in bad_date.stderr
