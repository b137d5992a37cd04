"""Channel delivery against a real local HTTP receiver speaking each service's format."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from dailypapers.channels import Options, send_alerts, send_digests
from dailypapers.channels.message import ZWSP
from dailypapers.store import db
from dailypapers.store.models_channels import Channel, ChannelSend
from tests.channel_fixtures import (
    HOSTILE,
    add_papers,
    channel_settings,
    follows_of,
    new_channel,
    point_discord_at,
    token_of,
    url_for,
    verify_signature,
)
from tests.channel_receivers import Reply, receiver
from tests.community_fixtures import make_user
from tests.digest_fixtures import smtp_server_fixture  # noqa: F401  (the smtp_server fixture)

ADA = follows_of(("author", "Ada Lovelace"))
TOKEN = "TIiajkdnlazkcOXrIdevi7FQ"  # valid for every service's URL syntax (Slack's is strictest)


@pytest.fixture
def rx(monkeypatch: pytest.MonkeyPatch):
    with receiver() as r:
        point_discord_at(r, monkeypatch)
        yield r


def _alert_papers(settings) -> list[str]:
    return add_papers(settings, [
        {"id": "2601.00001", "title": HOSTILE, "authors": ["Ada Lovelace"]},
        {"id": "2601.00002", "title": "Unrelated", "authors": ["Someone Else"]},
    ])  # fmt: skip


def _check_escaped(kind: str, attempt, secret: str | None) -> None:
    data = attempt.json()
    if kind == "webhook":
        assert verify_signature(secret, attempt.headers, attempt.body)
        assert attempt.headers["X-Dailypapers-Delivery"].endswith(":alert:1")
        [paper] = data["papers"]
        assert paper["title"] == HOSTILE and paper["paper"]["id"] == "2601.00001"
        assert data["event"] == "alert" and data["sections"][0]["papers"] == ["2601.00001"]
        return
    if kind == "matrix":
        html, text = data["formatted_body"], data["body"]
        assert "<b>" not in html and "&lt;b&gt;" in html
        assert '<a href="http://evil.example"' not in html
        assert 'href="https://papers.example/papers/2601.00001"' in html
    elif kind == "slack":  # mrkdwn: entities for & < >, links as <url|label>
        text = data["attachments"][0]["text"]
        assert "<b>" not in text and "&lt;b&gt;" in text and "&lt;!channel&gt;" in text
        assert "<https://papers.example/papers/2601.00001|" in text
        assert "<http://evil.example" not in text
    else:
        text = data["text"] if kind == "mattermost" else data.get("content") or data["message"]
    assert "@everyone" not in text and f"@{ZWSP}everyone" in text and f"@{ZWSP}here" in text
    if kind in ("mattermost", "discord"):
        assert r"\*\*Bold\*\*" in text and r"\<b\>" in text and r"\[click\]" in text
        assert "(https://papers.example/papers/2601.00001)" in text
    if kind == "ntfy":
        assert data["topic"] == TOKEN and "https://papers.example/papers/2601.00001" in text


@pytest.mark.parametrize("kind", ["slack", "mattermost", "discord", "ntfy", "matrix", "webhook"])
def test_alert_reaches_each_format_escaped_and_only_once(settings, rx, kind: str) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    _, secret = new_channel(settings, uid, url_for(kind, rx, TOKEN), digest="none")
    _alert_papers(settings)
    summary = send_alerts(settings, Options(follows=ADA))
    assert (summary.sent, summary.failed, summary.deferred) == (1, 0, 0)
    [attempt] = rx.delivered(token_of(kind, TOKEN))
    _check_escaped(kind, attempt, secret)
    again = send_alerts(settings, Options(follows=ADA))  # same batch: nothing new
    assert again.sent == 0 and len(rx.delivered()) == 1


def test_429_waits_retry_after_then_sends(settings, rx) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    new_channel(settings, uid, url_for("mattermost", rx, "slow"), digest="none")
    rx.plan("slow", Reply(429, {"Retry-After": "7"}))
    _alert_papers(settings)
    waits: list[float] = []
    summary = send_alerts(settings, Options(follows=ADA, sleep=waits.append))
    assert summary.sent == 1 and waits == [7.0]
    assert [a.status for a in rx.tried("slow")] == [429, 200]


def test_500_then_success_backs_off(settings, rx) -> None:
    settings = channel_settings(settings, channel_backoff_seconds=2.0)
    uid, _ = make_user(settings, "ada")
    new_channel(settings, uid, url_for("discord", rx, "flaky"), digest="none")
    rx.plan("flaky", Reply(500), Reply(503))
    _alert_papers(settings)
    waits: list[float] = []
    assert send_alerts(settings, Options(follows=ADA, sleep=waits.append)).sent == 1
    assert waits == [2.0, 4.0] and [a.status for a in rx.tried("flaky")] == [500, 503, 200]


def test_timeout_is_retried(settings, rx) -> None:
    settings = channel_settings(settings, channel_timeout_seconds=0.3)
    uid, _ = make_user(settings, "ada")
    new_channel(settings, uid, url_for("webhook", rx, "hang"), digest="none")
    rx.plan("hang", Reply(hang=1.0))
    _alert_papers(settings)
    assert send_alerts(settings, Options(follows=ADA, sleep=lambda s: None)).sent == 1
    assert len(rx.tried("hang")) == 2  # the first was answered after the client gave up


def test_long_retry_after_defers_to_next_run(settings, rx) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    cid, _ = new_channel(settings, uid, url_for("ntfy", rx, "later"), digest="none")
    rx.plan("later", Reply(429, {"Retry-After": "3600"}))
    _alert_papers(settings)
    waits: list[float] = []
    first = send_alerts(settings, Options(follows=ADA, sleep=waits.append))
    assert (first.sent, first.deferred, waits) == (0, 1, [])
    with db.session_scope(settings) as s:
        ch = s.get(Channel, cid)
        assert ch.status == "active" and "429" in ch.last_error and ch.failing_since
    second = send_alerts(settings, Options(follows=ADA))
    assert second.sent == 1 and len(rx.delivered("later")) == 1
    with db.session_scope(settings) as s:
        assert s.get(Channel, cid).failing_since is None


def test_permanent_404_disables_channel_and_mails_owner(settings, rx, smtp_server) -> None:
    settings = smtp_server.settings(channel_settings(settings))
    uid, _ = make_user(settings, "ada")
    cid, _ = new_channel(settings, uid, url_for("matrix", rx, "gone"), name="lab room")
    rx.plan(token_of("matrix", "gone"), Reply(404))
    _alert_papers(settings)
    summary = send_alerts(settings, Options(follows=ADA))
    assert (summary.sent, summary.failed, summary.disabled) == (0, 1, 1)
    with db.session_scope(settings) as s:
        ch = s.get(Channel, cid)
        assert ch.status == "disabled" and "404" in ch.disabled_reason
    [mail] = smtp_server.to("ada@example.org")
    assert "lab room" in mail.message["Subject"] and "404" in mail.message.get_content()
    assert send_alerts(settings, Options(follows=ADA)).sent == 0  # disabled: left alone
    assert len(rx.tried(token_of("matrix", "gone"))) == 1


def test_failing_for_days_disables(settings, rx, smtp_server) -> None:
    settings = smtp_server.settings(channel_settings(settings, channel_retries=0))
    uid, _ = make_user(settings, "ada")
    cid, _ = new_channel(settings, uid, url_for("mattermost", rx, "down"))
    with db.session_scope(settings) as s:
        s.get(Channel, cid).failing_since = dt.datetime(2020, 1, 1)
    rx.plan("down", Reply(502))
    _alert_papers(settings)
    summary = send_alerts(settings, Options(follows=ADA))
    assert summary.deferred == 1 and summary.disabled == 1
    with db.session_scope(settings) as s:
        assert s.get(Channel, cid).disabled_reason.startswith("failing since 2020-01-01")


def test_no_match_sends_nothing_but_moves_on(settings, rx) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    cid, _ = new_channel(settings, uid, url_for("mattermost", rx, "quiet"))
    _alert_papers(settings)
    summary = send_alerts(settings, Options(follows=follows_of(("org", "Nobody Inc"))))
    assert summary.sent == 0 and summary.unchanged == 1 and rx.attempts == []
    with db.session_scope(settings) as s:
        assert s.get(Channel, cid).alerts_done_batch == 1


def test_follow_kinds_match_and_batch_per_run(settings, rx) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    new_channel(settings, uid, url_for("webhook", rx, "all"), digest="none")
    add_papers(settings, [
        {"id": "2601.00011", "title": "Graph nets", "org": "Google DeepMind"},
        {"id": "2601.00012", "title": "Diffusion policy for robots", "categories": ["cs.RO"]},
        {"id": "2601.00013", "title": "Sparse attention", "categories": ["cs.CL"]},
        {"id": "2601.00014", "title": "Diffusion for text", "categories": ["cs.CL"]},
    ])  # fmt: skip
    source = follows_of(("org", "google deepmind"), ("category", "cs.RO"),
                        ("search", 'diffusion category:cs.CL -robots'))  # fmt: skip
    send_alerts(settings, Options(follows=source))
    add_papers(settings, [{"id": "2601.00015", "title": "More graphs", "org": "Google DeepMind"}])
    send_alerts(settings, Options(follows=source))
    first, second = rx.delivered("all")
    assert sorted(first.json()["sections"][0]["papers"]) == ["2601.00011", "2601.00012",
                                                             "2601.00014"]  # fmt: skip
    assert second.json()["sections"][0]["papers"] == ["2601.00015"]
    assert first.headers["X-Dailypapers-Delivery"].endswith("alert:1")
    assert second.headers["X-Dailypapers-Delivery"].endswith("alert:2")


def test_daily_digest_once_per_day_with_trending(settings, rx) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    new_channel(settings, uid, url_for("discord", rx, "digest"), alerts=False)
    today = dt.date(2026, 3, 18)
    add_papers(settings, [
        {"id": "2603.00001", "title": "Top paper", "upvotes": 50},
        {"id": "2603.00002", "title": "Ada's paper", "authors": ["Ada Lovelace"]},
    ], day=today)  # fmt: skip
    summary = send_digests(settings, ("daily",), today, Options(follows=ADA))
    assert summary.sent == 1
    [msg] = rx.delivered("digest")
    text = msg.json()["content"]
    assert "daily digest, 2026\\-03\\-18" in text or "daily digest, 2026-03-18" in text
    assert "Top paper" in text and "From what you follow" not in text  # Ada's paper is trending too
    assert send_digests(settings, ("daily",), today, Options(follows=ADA)).sent == 0
    assert send_digests(settings, ("daily",), today + dt.timedelta(days=1)).sent == 1
    with db.session_scope(settings) as s:
        keys = sorted(s.scalars(select(ChannelSend.key)))
    assert keys == ["digest:daily:2026-03-18", "digest:daily:2026-03-19"]


def test_dry_run_writes_messages_and_records_nothing(settings, rx, tmp_path) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    new_channel(settings, uid, url_for("mattermost", rx, "dry"), digest="none")
    _alert_papers(settings)
    send_alerts(settings, Options(dry_run=True, follows=ADA))  # no batch cut in a dry run
    from dailypapers.channels.run import cut_batch

    cut_batch(settings)
    summary = send_alerts(settings, Options(dry_run=True, follows=ADA, out_dir=tmp_path / "out"))
    assert summary.dry_run == 1 and rx.attempts == []
    [written] = list((tmp_path / "out").iterdir())
    assert "2601.00001" in written.read_text()
    assert send_alerts(settings, Options(follows=ADA)).sent == 1


def test_webhook_body_is_valid_json_with_daily_item_shape(settings, rx) -> None:
    settings = channel_settings(settings)
    uid, _ = make_user(settings, "ada")
    _, secret = new_channel(settings, uid, url_for("webhook", rx, "shape"), digest="none")
    _alert_papers(settings)
    send_alerts(settings, Options(follows=ADA))
    [attempt] = rx.delivered("shape")
    item = json.loads(attempt.body)["papers"][0]
    assert {"paper", "publishedAt", "title", "summary", "numComments"} <= item.keys()
    tampered = dict(attempt.headers, **{"X-Dailypapers-Timestamp": "1"})
    assert not verify_signature(secret, tampered, attempt.body)
