"""Channels in the worker: alerts queued when an ingestion task completes, follows read from
the library package, the digest schedule, and a changed secret key."""

from __future__ import annotations

import datetime as dt
import sys
import types
from collections.abc import Iterator

import pytest
from huey.signals import SIGNAL_COMPLETE

from dailypapers import jobs
from dailypapers.channels import Options, send_alerts
from dailypapers.channels.tasks import frequencies_due
from dailypapers.store import db
from dailypapers.store.models_channels import Channel
from tests.channel_fixtures import add_papers, channel_settings, new_channel, url_for
from tests.channel_receivers import receiver
from tests.community_fixtures import make_user


@pytest.fixture
def fresh_jobs() -> Iterator[None]:
    yield
    jobs.configure(None, immediate=False)


@pytest.fixture
def library_follows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library package's follows, as ``library.follows.list_follows`` returns them."""
    fake = types.ModuleType("dailypapers.library.follows")
    ada = types.SimpleNamespace(kind="author", value="Ada Lovelace")
    fake.list_follows = lambda session, uid: [ada]
    monkeypatch.setitem(sys.modules, "dailypapers.library.follows", fake)


def test_completed_ingestion_task_sends_alerts(settings, fresh_jobs, library_follows) -> None:
    from dailypapers.channels import tasks

    settings = channel_settings(settings)
    jobs.configure(settings, immediate=True)
    uid, _ = make_user(settings, "ada")
    with receiver() as rx:
        new_channel(settings, uid, url_for("webhook", rx, "w"), digest="none")
        add_papers(settings, [{"id": "2601.00001", "title": "New", "authors": ["Ada Lovelace"]}])
        jobs.huey._emit(SIGNAL_COMPLETE, types.SimpleNamespace(name="digest.deliver_mail"))
        assert rx.attempts == []  # not an ingestion task
        jobs.huey._emit(SIGNAL_COMPLETE, types.SimpleNamespace(name="ingest_hf"))
        [message] = rx.delivered("w")
    assert message.json()["sections"][0]["papers"] == ["2601.00001"]
    assert tasks.send_alerts_task.name == "channels.send_alerts"


def test_digest_schedule() -> None:
    monday, sunday = dt.date(2026, 3, 16), dt.date(2026, 3, 22)
    assert frequencies_due(1, monday) == ("daily", "weekly")
    assert frequencies_due(7, monday) == ("daily",)
    assert frequencies_due(7, sunday) == ("daily", "weekly")


def test_changed_secret_key_disables_with_a_reason(settings, library_follows) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    with receiver() as rx:
        cid, _ = new_channel(settings, uid, url_for("mattermost", rx, "m"))
        add_papers(settings, [{"id": "2601.00002", "title": "New", "authors": ["Ada Lovelace"]}])
        rotated = settings.model_copy(update={"secret_key": "another-secret-key"})
        summary = send_alerts(rotated, Options())
        assert summary.disabled == 1 and rx.attempts == []
    with db.session_scope(settings) as s:
        assert "cannot be decrypted" in s.get(Channel, cid).disabled_reason


def test_cli_dry_run_prints_messages_and_records_nothing(settings, monkeypatch) -> None:
    from sqlalchemy import func, select
    from typer.testing import CliRunner

    from dailypapers.cli.main import app
    from dailypapers.config import get_settings
    from dailypapers.store.models_channels import ChannelSend

    uid, _ = make_user(settings, "ada")
    new_channel(channel_settings(settings), uid, "mmost://127.0.0.1:9/token", alerts=False)
    add_papers(settings, [{"id": "2603.00001", "title": "Top *paper*", "upvotes": 5}],
               day=dt.date(2026, 3, 18))  # fmt: skip
    env = {"DATA_DIR": str(settings.data_dir), "SECRET_KEY": settings.secret_key,
           "CONFIG_FILE": "/nonexistent", "CHANNELS_ALLOW_PRIVATE": "true"}  # fmt: skip
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    for key, value in env.items():
        monkeypatch.setenv(f"DAILYPAPERS_{key}", value)
    get_settings.cache_clear()
    try:
        args = ["channels", "send", "--dry-run", "--only", "digests", "--date", "2026-03-18"]
        result = CliRunner().invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "digest:daily:2026-03-18" in result.output and r"Top \*paper\*" in result.output
    assert "1 written (dry run)" in result.output
    with db.session_scope(settings) as s:
        assert s.scalar(select(func.count()).select_from(ChannelSend)) == 0


def test_digest_puts_for_you_first_when_the_ranker_is_installed(settings, monkeypatch) -> None:
    from dailypapers.channels import send_digests
    from dailypapers.store.queries.papers import papers_by_ids

    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    day = dt.date(2026, 3, 18)
    specs = [{"id": "2603.00001", "title": "Popular", "upvotes": 50},
             {"id": "2603.00002", "title": "Mine", "upvotes": 0}]  # fmt: skip
    add_papers(settings, specs, day=day)

    def page(session, user_id, start, end, *, model, limit):
        [item] = papers_by_ids(session, ["2603.00002"])
        entry = types.SimpleNamespace(item=item, score=1.5, reasons=("like *Title A*",))
        return types.SimpleNamespace(entries=[entry], total=1, cold=False)

    fake = types.ModuleType("dailypapers.foryou.personal")
    fake.page = page
    monkeypatch.setitem(sys.modules, "dailypapers.foryou.personal", fake)
    with receiver() as rx:
        new_channel(settings, uid, url_for("webhook", rx, "d"), alerts=False)
        assert send_digests(settings, ("daily",), day, Options()).sent == 1
        [message] = rx.delivered("d")
    sections = message.json()["sections"]
    assert [s["name"] for s in sections][:2] == ["For you", "Trending"]
    assert sections[0]["papers"] == ["2603.00002"] and sections[0]["notes"] == ["like *Title A*"]
    assert "2603.00002" not in sections[1]["papers"]  # no paper twice in one message


def test_one_run_at_a_time(settings, monkeypatch) -> None:
    from dailypapers.channels import run
    from dailypapers.store.locks import Busy, run_lock

    monkeypatch.setattr(run, "LOCK_WAIT", 0.0)
    with run_lock(settings, run.LOCK), pytest.raises(Busy, match="another channels-send run"):
        send_alerts(settings, Options())
    assert send_alerts(settings, Options()).sent == 0  # free again
