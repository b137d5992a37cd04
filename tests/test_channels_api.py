"""``/api/me/channels`` and the ``/settings/channels`` page: add, list, test, delete; secrets
encrypted at rest and never shown again; private addresses refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dailypapers.store import db
from dailypapers.store.models_channels import Channel
from dailypapers.web.app import create_app
from tests.channel_fixtures import channel_settings, point_discord_at, verify_signature
from tests.channel_receivers import receiver
from tests.community_fixtures import bearer, make_user
from tests.test_community_pages import csrf, signup

DISCORD = "https://discord.com/api/webhooks/424242/SeCrEtToKeN-abcdefghijklmnop"


@pytest.fixture
def rx(monkeypatch: pytest.MonkeyPatch):
    with receiver() as r:
        point_discord_at(r, monkeypatch)
        yield r


def _client(settings) -> TestClient:
    return TestClient(create_app(settings))


def test_add_list_test_delete_with_a_token(settings, rx) -> None:
    settings = channel_settings(settings)
    _, token = make_user(settings, "ada")
    with _client(settings) as client:
        body = {"url": f"{rx.base}/webhook/hook", "name": "lab", "digest": "weekly"}
        made = client.post("/api/me/channels", headers=bearer(token), json=body)
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        assert secret.startswith("whsec_") and made.json()["kind"] == "webhook"
        discord = client.post("/api/me/channels", headers=bearer(token), json={"url": DISCORD})
        assert discord.status_code == 201 and "secret" not in discord.json()
        listed = client.get("/api/me/channels", headers=bearer(token)).json()
        assert [c["kind"] for c in listed] == ["webhook", "discord"]
        assert "SeCrEtToKeN" not in str(listed) and all("secret" not in c for c in listed)
        cid = made.json()["id"]
        tested = client.post(f"/api/me/channels/{cid}/test", headers=bearer(token))
        assert tested.json() == {"status": "sent", "error": None}
        [attempt] = rx.delivered("hook")
        assert verify_signature(secret, attempt.headers, attempt.body)
        assert attempt.json()["event"] == "test"
        assert client.delete(f"/api/me/channels/{cid}", headers=bearer(token)).status_code == 200
        assert len(client.get("/api/me/channels", headers=bearer(token)).json()) == 1
    with db.session_scope(settings) as s:
        stored = " ".join(s.scalars(select(Channel.url_encrypted)))
    assert "SeCrEtToKeN" not in stored and "discord" not in stored


def test_test_button_reports_a_failure(settings, rx) -> None:
    from tests.channel_receivers import Reply

    settings = channel_settings(settings)
    _, token = make_user(settings, "ada")
    rx.plan("nope", Reply(404))
    with _client(settings) as client:
        body = {"url": f"mmost://127.0.0.1:{rx.port}/nope"}
        cid = client.post("/api/me/channels", headers=bearer(token), json=body).json()["id"]
        tested = client.post(f"/api/me/channels/{cid}/test", headers=bearer(token)).json()
    assert tested["status"] == "permanent" and "404" in tested["error"]


REFUSED = [
    ("http://127.0.0.1:9/hook", "private or local address"),
    ("http://10.1.2.3/hook", "private or local address"),
    ("http://169.254.169.254/latest/meta-data", "private or local address"),
    ("http://[::1]:8080/x", "private or local address"),
    ("ntfy://192.168.1.10/topic", "private or local address"),
    ("mmost://localhost:8065/token", "private or local address"),
    ("not a url", "Not a channel URL"),
    ("mailto://user:pass@example.org", "not supported"),
]


def test_refuses_private_targets_and_unknown_urls(settings) -> None:
    settings = settings.model_copy(update={"rate_limit_enabled": False})
    _, token = make_user(settings, "ada")
    with _client(settings) as client:
        for url, message in REFUSED:
            answer = client.post("/api/me/channels", headers=bearer(token), json={"url": url})
            assert answer.status_code == 400 and message in answer.json()["error"], url


def test_needs_an_account_and_only_sees_own_channels(settings, rx) -> None:
    settings = channel_settings(settings)
    _, ada = make_user(settings, "ada")
    _, bob = make_user(settings, "bob")
    with _client(settings) as client:
        assert client.get("/api/me/channels").status_code == 401
        cid = client.post("/api/me/channels", headers=bearer(ada), json={"url": DISCORD}).json()[
            "id"
        ]
        assert client.get("/api/me/channels", headers=bearer(bob)).json() == []
        assert client.delete(f"/api/me/channels/{cid}", headers=bearer(bob)).status_code == 404
        assert client.post(f"/api/me/channels/{cid}/test", headers=bearer(bob)).status_code == 404


def test_settings_page_adds_tests_and_deletes_without_javascript(settings, rx) -> None:
    settings = channel_settings(settings)
    with _client(settings) as client:
        signup(client, "carol")
        token = csrf(client, "/settings/channels")
        added = client.post("/settings/channels", data={
            "url": f"ntfy://127.0.0.1:{rx.port}/carol", "name": "<b>phone</b>",
            "digest": "daily", "alerts": "true", "csrf_token": token})  # fmt: skip
        assert added.status_code == 200 and "Channel added (ntfy)" in added.text
        assert "&lt;b&gt;phone&lt;/b&gt;" in added.text and "<b>phone</b>" not in added.text
        cid = client.get("/api/me/channels").json()[0]["id"]
        tested = client.post(f"/settings/channels/{cid}/test", data={"csrf_token": token})
        assert "Test message sent." in tested.text
        assert len(rx.delivered("carol")) == 1
        bad = client.post("/settings/channels", data={"url": "<i>nonsense</i>",
                                                      "csrf_token": token})  # fmt: skip
        assert bad.status_code == 400 and "Not a channel URL" in bad.text
        assert "<i>nonsense" not in bad.text
        webhook = client.post("/settings/channels", data={"url": f"{rx.base}/webhook/w",
                                                          "csrf_token": token})  # fmt: skip
        assert webhook.status_code == 201 and "whsec_" in webhook.text
        assert "whsec_" not in client.get("/settings/channels").text
        client.post(f"/settings/channels/{cid}/delete", data={"csrf_token": token})
        assert [c["kind"] for c in client.get("/api/me/channels").json()] == ["webhook"]
        no_csrf = client.post(f"/settings/channels/{cid}/delete")
        assert no_csrf.status_code == 403
