"""Accounts and mail (issue 14): sign-up without address enumeration and with a confirmation
link, unsubscribe that rotates links and forgets the address, a 32-byte secret in production,
rate-limited claims, X-Forwarded-For trusted only from configured proxies, erased comments."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from dailypapers.config import Settings
from dailypapers.digest.send import send_digests
from dailypapers.digest.subscriptions import suppression_key
from dailypapers.store import db
from dailypapers.store.models import Comment, SignupRequest, Subscription, User
from dailypapers.web.app import create_app
from tests.community_fixtures import PASSWORD, add_paper, bearer, make_user
from tests.digest_fixtures import (
    add_papers,
    smtp_server_fixture,  # noqa: F401  (the smtp_server fixture)
    text_part,
)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(client: TestClient, path: str) -> str:
    match = _CSRF.search(client.get(path).text)
    assert match, path
    return match.group(1)


def _signup(client: TestClient, name: str, email: str):
    data = {"username": name, "email": email, "password": PASSWORD,
            "csrf_token": _csrf(client, "/signup")}  # fmt: skip
    return client.post("/signup", data=data, follow_redirects=False)


def _link(text: str, path: str) -> str:
    match = re.search(rf"http://testserver({path}[A-Za-z0-9_.\-]+)", text)
    assert match, f"no {path} link in {text!r}"
    return match.group(1)


@pytest.fixture
def mailed(settings, smtp_server):
    """The app with its mail going to a recording SMTP server."""
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp_server.port
    with TestClient(create_app(settings)) as client:
        yield client, smtp_server


def _users(settings) -> int:
    with db.session_scope(settings) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


# --- sign-up -----------------------------------------------------------------------------------
def test_signup_answers_alike_for_new_and_known_addresses(settings, mailed) -> None:
    client, smtp = mailed
    make_user(settings, "known")
    new = _signup(client, "newcomer", "new@example.org")
    known = _signup(TestClient(client.app), "someone", "known@example.org")
    assert new.status_code == known.status_code == 200
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", new.text) == strip.sub("", known.text)
    assert "dp_session" not in new.cookies and "dp_session" not in known.cookies
    assert _users(settings) == 1  # no account before the address is confirmed
    smtp.wait_for(2)
    (to_known,) = smtp.to("known@example.org")
    assert "already has an account" in text_part(to_known.message)
    assert "/signup/confirm/" not in text_part(to_known.message)
    (to_new,) = smtp.to("new@example.org")
    link = _link(text_part(to_new.message), "/signup/confirm/")

    # The account cannot post (it does not exist) until the link is followed.
    login = {"login": "newcomer", "password": PASSWORD, "csrf_token": _csrf(client, "/login")}
    assert client.post("/login", data=login).status_code == 400
    page = client.get(link)
    assert page.status_code == 200 and _users(settings) == 1  # a GET creates nothing
    done = client.post(link, data={"csrf_token": _csrf(client, link)}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/me").json()["name"] == "newcomer"
    again = TestClient(client.app).post(link, data={"csrf_token": "x"})
    assert again.status_code in (400, 403)
    fresh = TestClient(client.app)
    reused = fresh.post(link, data={"csrf_token": _csrf(fresh, link)})
    assert reused.status_code == 400 and "already been used" in reused.text
    with db.session_scope(settings) as session:
        assert session.scalar(select(func.count()).select_from(SignupRequest)) == 0


def test_signup_refuses_a_taken_user_name_and_forged_links(settings, client) -> None:
    make_user(settings, "taken")
    answer = _signup(client, "taken", "other@example.org")
    assert answer.status_code == 409 and "user name is taken" in answer.text
    forged = client.post("/signup/confirm/eyJyIjoxfQ.forged",
                         data={"csrf_token": _csrf(client, "/signup")})  # fmt: skip
    assert forged.status_code == 400 and "not valid" in forged.text


# --- unsubscribe -------------------------------------------------------------------------------
def test_unsubscribe_rotates_links_forgets_the_address_and_needs_a_new_opt_in(
    settings, mailed
) -> None:
    client, smtp = mailed
    client.post("/api/subscriptions", json={"email": "reader@example.org", "topics": ["x"]})
    first_confirm = _link(text_part(smtp.wait_for(1)[0].message), "/subscribe/confirm/")
    client.post(first_confirm)
    add_papers(settings, dt.date.today(), [{"title": "A paper on x"}])
    send_digests(settings)
    digest = smtp.to("reader@example.org")[-1].message
    manage = _link(text_part(digest), "/subscriptions/manage/")
    unsubscribe = digest["List-Unsubscribe"].strip("<>").removeprefix("http://testserver")

    assert client.post(unsubscribe).status_code == 200
    assert client.post(unsubscribe).status_code == 200  # a repeated one-click POST is fine
    with db.session_scope(settings) as session:
        row = session.scalar(select(Subscription))
        assert row is not None
        assert row.email == suppression_key("reader@example.org") and row.topics == []
        assert row.status == "unsubscribed"
        everything = " ".join(str(v) for v in vars(row).values())
        assert "reader@" not in everything
    # Old links are dead: the manage link neither shows nor re-activates anything.
    assert client.get(manage).status_code == 400
    assert client.post(manage, data={"frequency": "daily", "topics": ""}).status_code == 400
    assert client.post(first_confirm).status_code == 400

    # Subscribing again is a new opt-in: pending until the new link is followed.
    client.post("/api/subscriptions", json={"email": "Reader@example.org"})
    second = smtp.wait_for(3)[-1]
    assert second.rcpt_tos == ["reader@example.org"]
    with db.session_scope(settings) as session:
        row = session.scalar(select(Subscription))
        assert row is not None and (row.email, row.status) == ("reader@example.org", "pending")
    assert client.post(_link(text_part(second.message), "/subscribe/confirm/")).status_code == 200
    with db.session_scope(settings) as session:
        assert session.scalar(select(Subscription.status)) == "confirmed"


# --- settings, claims, proxies, comments -------------------------------------------------------
@pytest.mark.parametrize("key", ["x", "short-but-not-default", "é" * 15])
def test_production_refuses_short_secret_keys(key: str) -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(env="production", secret_key=key)
    assert Settings(env="production", secret_key="k" * 32).secret_key == "k" * 32


def test_claims_are_rate_limited(settings, client) -> None:
    pid = add_paper(settings, "2503.50001")
    _, token = make_user(settings, "claimer")
    codes = [client.post(f"/api/papers/{pid}/claim", headers=bearer(token)).status_code
             for _ in range(21)]  # fmt: skip
    assert codes[:20] == [200] * 20 and codes[20] == 429


def _subscribe_codes(app, forwarded: list[str]) -> list[int]:
    with TestClient(app) as client:  # the peer is "testclient"
        return [
            client.post("/api/subscriptions", json={"email": f"p{i}@example.org"},
                        headers={"X-Forwarded-For": ip}).status_code
            for i, ip in enumerate(forwarded)
        ]  # fmt: skip


def test_forwarded_for_counts_only_from_trusted_proxies(settings, smtp_server) -> None:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp_server.port
    spoofed = [f"203.0.113.{i}" for i in range(21)]
    untrusted = _subscribe_codes(create_app(settings), spoofed)
    assert untrusted[:20] == [202] * 20 and untrusted[20] == 429  # all count against the peer

    settings.forwarded_allow_ips = "testclient"  # the peer is our proxy: its header counts
    trusted = _subscribe_codes(create_app(settings), ["198.51.100.7"] * 21)
    assert trusted[:20] == [202] * 20 and trusted[20] == 429
    assert _subscribe_codes(create_app(settings), ["198.51.100.8"]) == [202]


def test_serve_option_sets_the_trusted_proxies(monkeypatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from dailypapers.cli.main import app as cli
    from dailypapers.config import get_settings

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setattr("dailypapers.store.db.ensure_schema", lambda settings: None)
    monkeypatch.delenv("DAILYPAPERS_FORWARDED_ALLOW_IPS", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--forwarded-allow-ips", "10.0.0.0/8"])
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False  # uvicorn itself never trusts the header
    assert get_settings().forwarded_allow_ips == "10.0.0.0/8"
    monkeypatch.delenv("DAILYPAPERS_FORWARDED_ALLOW_IPS")
    get_settings.cache_clear()


def test_deleted_comments_lose_their_text(settings, client) -> None:
    pid = add_paper(settings, "2503.50002")
    _, token = make_user(settings, "writer")
    made = client.post(f"/api/papers/{pid}/comments", json={"text": "a secret remark"},
                       headers=bearer(token))  # fmt: skip
    assert made.status_code == 201
    assert client.delete(f"/api/comments/{made.json()['id']}", headers=bearer(token)).is_success
    with db.session_scope(settings) as session:
        assert session.scalars(select(Comment.text)).all() == [""]
    assert "a secret remark" not in client.get(f"/papers/{pid}").text
