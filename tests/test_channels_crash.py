"""SIGKILL in the middle of a channel run, then a rerun: every message exactly once.

The run is the real command (``dailypapers channels send``) in a subprocess, posting digests
to 25 channels of five formats on a local receiver. After 8 messages were accepted the
receiver holds every further request; once the run has committed what was accepted and all
its sending threads wait on held requests, it is killed with SIGKILL. The held requests
were never answered, so they were not delivered. A second run must then send exactly the 17
missing messages.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dailypapers.store import db
from dailypapers.store.models_channels import ChannelSend
from tests.channel_fixtures import add_papers, channel_settings, new_channel, token_of, url_for
from tests.channel_receivers import receiver
from tests.community_fixtures import make_user
from tests.conftest import TEST_SECRET

KINDS = ("mattermost", "discord", "ntfy", "matrix", "webhook")
DAY = "2026-03-18"
WORKERS = 3
SRC = Path(__file__).resolve().parents[1] / "src"
RUN = ("import os; from apprise.plugins.discord import NotifyDiscord; "
       "NotifyDiscord.notify_url = os.environ['TEST_DISCORD_URL']; "
       "from dailypapers.cli.main import main; main()")  # fmt: skip


def _run(settings, rx) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1",
        "DAILYPAPERS_CONFIG_FILE": "/nonexistent", "DAILYPAPERS_SECRET_KEY": TEST_SECRET,
        "DAILYPAPERS_DATA_DIR": str(settings.data_dir),
        "DAILYPAPERS_CHANNELS_ALLOW_PRIVATE": "true", "DAILYPAPERS_CHANNEL_WORKERS": str(WORKERS),
        "DAILYPAPERS_CHANNEL_TIMEOUT_SECONDS": "30", "DAILYPAPERS_BASE_URL": settings.base_url,
        "TEST_DISCORD_URL": f"{rx.base}/api/webhooks",
    }  # fmt: skip
    if settings.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = settings.database_url
    args = [sys.executable, "-c", RUN, "channels", "send", "--only", "digests", "--date", DAY]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _sent_rows(settings) -> int:
    with db.session_scope(settings) as s:
        return int(s.scalar(select(func.count()).where(ChannelSend.status == "sent")) or 0)


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_sends_each_message_once(settings, monkeypatch) -> None:
    settings = channel_settings(settings)
    users = [make_user(settings, f"user{n}")[0] for n in range(3)]
    add_papers(settings, [{"id": "2603.00001", "title": "Top paper", "upvotes": 9}],
               day=dt.date.fromisoformat(DAY))  # fmt: skip
    with receiver() as rx:
        tokens = []
        for n in range(25):
            kind = KINDS[n % len(KINDS)]
            new_channel(settings, users[n % 3], url_for(kind, rx, f"c{n}"), alerts=False)
            tokens.append(token_of(kind, f"c{n}"))
        rx.hold_after(8)
        first = _run(settings, rx)
        _wait(lambda: rx.held >= WORKERS or first.poll() is not None, "the run to block")
        _wait(lambda: _sent_rows(settings) == len(rx.delivered()), "accepted messages committed")
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        accepted_before = len(rx.delivered())
        rx.release()
        second = _run(settings, rx)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
        counts = Counter(a.token for a in rx.delivered())
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    missing = sum(1 for t in tokens if counts[t] == 0)
    print(
        f"kill-and-rerun: {len(tokens)} expected, {accepted_before} before the kill, "
        f"{sum(counts.values())} delivered, {duplicates} duplicates, {missing} missing"
    )
    assert first.returncode == -signal.SIGKILL and accepted_before == 8
    assert (duplicates, missing) == (0, 0)
    assert _sent_rows(settings) == 25
