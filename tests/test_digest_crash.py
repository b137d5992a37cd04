"""Kill a digest run with SIGKILL half-way, run it again: everyone mailed once, nobody twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from dailypapers.digest.send import DigestBusy, send_digests
from dailypapers.store import db
from dailypapers.store.models import DigestSend
from tests.digest_fixtures import add_papers, add_subscribers, smtp_server_fixture  # noqa: F401

DAY = dt.date(2025, 3, 18)
CONNECTIONS = 2
ROOT = Path(__file__).resolve().parents[1]


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update({
        "DAILYPAPERS_CONFIG_FILE": "/nonexistent/dailypapers.env",
        "DAILYPAPERS_DATA_DIR": str(settings.data_dir),
        "DAILYPAPERS_SECRET_KEY": settings.secret_key,
        "DAILYPAPERS_BASE_URL": settings.base_url,
        "DAILYPAPERS_SMTP_HOST": settings.smtp_host,
        "DAILYPAPERS_SMTP_PORT": str(settings.smtp_port),
        "DAILYPAPERS_MAIL_RATE_PER_MINUTE": "100000",
        "DAILYPAPERS_MAIL_CONNECTIONS": str(CONNECTIONS),
    })  # fmt: skip
    if settings.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = settings.database_url
    return env


def _rerun(settings):
    deadline = time.monotonic() + 10
    while True:  # the killed run's lock goes with its process; PostgreSQL may take a moment
        try:
            return send_digests(settings, frequencies=("daily",), as_of=DAY)
        except DigestBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_sigkill_half_way_then_rerun_mails_everyone_exactly_once(settings, smtp_server):
    settings = smtp_server.settings(settings)
    add_papers(settings, DAY, [{"title": f"Popular paper {i}", "upvotes": 10 + i}
                               for i in range(3)])  # fmt: skip
    emails = [f"reader{i:02d}@example.org" for i in range(12)]
    add_subscribers(settings, emails)
    smtp_server.handler.delay = 0.3  # each mail waits before its sender is accepted
    cmd = [sys.executable, "-c", "from dailypapers.cli.main import main; main()",
           "digest", "send", "--date", DAY.isoformat()]  # fmt: skip
    proc = subprocess.Popen(cmd, env=_env(settings), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        # Kill once 4 mails were accepted and every connection waits at MAIL FROM (held there
        # for 0.3 s): each worker moves on only after committing its last mail's outcome, so
        # this is "half-way" with no mail between the server's 250 and our commit.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            with smtp_server.handler.lock:
                accepted = len(smtp_server.handler.messages)
                if accepted >= 4 and smtp_server.handler.waiting_in_mail == CONNECTIONS:
                    proc.send_signal(signal.SIGKILL)
                    break
            time.sleep(0.005)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    accepted_before = len(smtp_server.messages)
    assert 0 < accepted_before < len(emails)
    with db.session_scope(settings) as s:
        logged = s.scalar(select(func.count()).select_from(DigestSend)
                          .where(DigestSend.status == "sent"))  # fmt: skip
    assert logged == accepted_before

    smtp_server.handler.delay = 0
    summary = _rerun(settings)
    assert summary.sent == len(emails) - accepted_before
    received = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert set(received) == set(emails)  # zero missing
    assert max(received.values()) == 1  # zero duplicates
    assert _rerun(settings).sent == 0
