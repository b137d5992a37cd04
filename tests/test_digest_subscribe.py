"""The subscription flow through the real app and a real SMTP server: double opt-in,
preferences by signed link, one-click unsubscribe from the List-Unsubscribe header alone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dailypapers.digest.send import send_digests
from dailypapers.digest.subscriptions import suppression_key
from dailypapers.store import db
from dailypapers.store.models import Subscription
from dailypapers.web.app import create_app
from tests.digest_fixtures import (  # noqa: F401  (smtp_server_fixture is smtp_server)
    add_papers,
    html_part,
    smtp_server_fixture,
    text_part,
)

TODAY = dt.datetime.now(dt.UTC).date()
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def mail_settings(settings, smtp_server):
    return smtp_server.settings(settings)


@pytest.fixture
def web(mail_settings):
    with TestClient(create_app(mail_settings)) as client:
        yield client


def _csrf(web: TestClient) -> str:
    match = _CSRF.search(web.get("/subscribe").text)
    assert match, "the subscribe page has a CSRF field"
    return match.group(1)


def _subscribe_form(web: TestClient, email: str, frequency: str = "daily", topics: str = ""):
    data = {"email": email, "frequency": frequency, "topics": topics, "csrf_token": _csrf(web)}
    return web.post("/subscribe", data=data)


def _link(text: str, path: str) -> str:
    match = re.search(rf"http://testserver{path}[A-Za-z0-9_.\-]+", text)
    assert match, f"no {path} link in {text!r}"
    return match.group(0)


def _status(settings, email: str) -> str | None:
    """The address's status; an unsubscribed row is found by the hash it keeps instead."""
    keys = [email, suppression_key(email)]
    with db.session_scope(settings) as s:
        return s.scalar(select(Subscription.status).where(Subscription.email.in_(keys)))


def test_confirm_digest_unsubscribe_round_trip(web, mail_settings, smtp_server):
    reply = _subscribe_form(web, "Ada@Example.org", topics="category:cs.RO\ndiffusion")
    assert reply.status_code == 200 and "confirmation link" in reply.text
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation.rcpt_tos == ["ada@example.org"]
    assert _status(mail_settings, "ada@example.org") == "pending"

    add_papers(mail_settings, TODAY, [
        {"title": "Robots fold laundry", "categories": ["cs.RO"], "arxiv_id": "2501.00011"},
        {"title": "Unrelated optimisation", "categories": ["math.OC"], "arxiv_id": "2501.00012"},
    ])  # fmt: skip
    # Nothing is sent before confirmation.
    assert send_digests(mail_settings, as_of=TODAY).due == 0

    confirm_url = _link(text_part(confirmation.message), "/subscribe/confirm/")
    page = web.get(confirm_url)
    assert page.status_code == 200 and "category:cs.RO" in page.text
    assert _status(mail_settings, "ada@example.org") == "pending"  # a GET confirms nothing
    assert web.post(confirm_url).status_code == 200
    assert _status(mail_settings, "ada@example.org") == "confirmed"

    assert send_digests(mail_settings, as_of=TODAY).sent == 1
    digest = smtp_server.to("ada@example.org")[-1].message
    assert "Robots fold laundry" in text_part(digest)
    assert "Unrelated optimisation" not in text_part(digest)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # RFC 8058: the mailbox provider POSTs to the header URL, with no cookie and no redirect.
    url = digest["List-Unsubscribe"].strip("<>")
    fresh = TestClient(web.app)
    answer = fresh.post(url, data={"List-Unsubscribe": "One-Click"}, follow_redirects=False)
    assert answer.status_code == 200 and "unsubscribed" in answer.text
    assert _status(mail_settings, "ada@example.org") == "unsubscribed"
    add_papers(mail_settings, TODAY, [{"title": "More robots", "categories": ["cs.RO"]}])
    assert send_digests(mail_settings, as_of=TODAY + dt.timedelta(days=1)).due == 0


def test_same_answer_for_new_and_known_addresses(web, mail_settings, smtp_server):
    first = _subscribe_form(web, "known@example.org")
    confirm_url = _link(text_part(smtp_server.wait_for(1)[0].message), "/subscribe/confirm/")
    web.post(confirm_url)
    again = _subscribe_form(web, "known@example.org", frequency="weekly", topics="org:Evil")
    new = _subscribe_form(web, "new@example.org")
    assert first.status_code == again.status_code == new.status_code == 200
    strip = lambda html: _CSRF.sub("", html)  # noqa: E731
    assert strip(first.text) == strip(again.text) == strip(new.text)
    api_known = web.post("/api/subscriptions", json={"email": "known@example.org"})
    api_new = web.post("/api/subscriptions", json={"email": "other@example.org"})
    assert api_known.status_code == api_new.status_code == 202
    assert api_known.json() == api_new.json()
    # The known subscriber's settings do not change until they follow their own link.
    with db.session_scope(mail_settings) as s:
        sub = s.scalar(select(Subscription).where(Subscription.email == "known@example.org"))
        assert (sub.frequency, sub.topics) == ("daily", [])
    mails = smtp_server.wait_for(5)
    change = [m for m in mails if "known@example.org" in m.rcpt_tos][1]
    assert "org:Evil" in text_part(change.message)
    web.post(_link(text_part(change.message), "/subscribe/confirm/"))
    with db.session_scope(mail_settings) as s:
        sub = s.scalar(select(Subscription).where(Subscription.email == "known@example.org"))
        assert (sub.frequency, sub.topics) == ("weekly", ["org:Evil"])


def test_bad_input_gets_a_clear_4xx(web, smtp_server):
    assert web.post("/api/subscriptions", json={"email": "not-an-address"}).status_code == 400
    bad_freq = web.post("/api/subscriptions",
                        json={"email": "a@example.org", "frequency": "hourly"})  # fmt: skip
    assert bad_freq.status_code == 422 and "error" in bad_freq.json()
    many = web.post(
        "/api/subscriptions",
        json={"email": "a@example.org", "topics": [f"t{i}" for i in range(11)]},
    )
    assert many.status_code == 422
    form = _subscribe_form(web, "<script>@x", topics="x")
    assert form.status_code == 400 and "<script>@x" not in form.text
    no_csrf = web.post("/subscribe", data={"email": "a@example.org"})
    assert no_csrf.status_code == 403
    assert web.get("/subscribe/confirm/forged-token").status_code == 400
    assert web.post("/unsubscribe/WzEsMF0.forged").status_code == 400
    assert web.get("/subscriptions/manage/garbage").status_code == 400
    assert web.get("/api/subscriptions/garbage").status_code == 400
    assert smtp_server.messages == []


def test_preferences_page_and_api_change_settings(web, mail_settings, smtp_server):
    web.post("/api/subscriptions", json={"email": "pref@example.org", "topics": ["graphs"]})
    web.post(_link(text_part(smtp_server.wait_for(1)[0].message), "/subscribe/confirm/"))
    add_papers(mail_settings, TODAY, [{"title": "Graphs everywhere", "upvotes": 1}])
    send_digests(mail_settings, as_of=TODAY)
    digest = smtp_server.to("pref@example.org")[-1].message
    manage_url = _link(html_part(digest), "/subscriptions/manage/")
    page = web.get(manage_url)
    assert page.status_code == 200 and "graphs" in page.text
    saved = web.post(manage_url, data={"frequency": "weekly", "topics": "author:Ada\norg:Acme"})
    assert saved.status_code == 200 and "Saved" in saved.text
    token = manage_url.rsplit("/", 1)[1]
    data = web.get(f"/api/subscriptions/{token}").json()
    assert data == {"email": "pref@example.org", "frequency": "weekly",
                    "topics": ["author:Ada", "org:Acme"], "status": "confirmed"}  # fmt: skip
    gone = web.delete(f"/api/subscriptions/{token}").json()
    assert gone["status"] == "unsubscribed" and gone["email"] is None
    # Unsubscribing rotated the links: the old one cannot re-activate the address (issue 14).
    again = web.put(f"/api/subscriptions/{token}", json={"frequency": "daily", "topics": []})
    assert again.status_code == 400
    unsubscribe_url = digest["List-Unsubscribe"].strip("<>")
    assert "You are unsubscribed" in web.get(unsubscribe_url).text
    assert _status(mail_settings, "pref@example.org") == "unsubscribed"


def test_old_confirmation_link_cannot_undo_an_unsubscribe(web, mail_settings, smtp_server):
    web.post("/api/subscriptions", json={"email": "old@example.org"})
    confirm_url = _link(text_part(smtp_server.wait_for(1)[0].message), "/subscribe/confirm/")
    web.post(confirm_url)
    with db.session_scope(mail_settings) as s:
        sub = s.scalar(select(Subscription).where(Subscription.email == "old@example.org"))
        sub.status, sub.unsubscribed_at = "unsubscribed", dt.datetime(2100, 1, 1)
    assert web.post(confirm_url).status_code == 400
    assert _status(mail_settings, "old@example.org") == "unsubscribed"


def test_subscribe_endpoints_are_rate_limited(web, smtp_server):
    answers = [web.post("/api/subscriptions", json={"email": f"r{i}@example.org"})
               for i in range(21)]  # fmt: skip
    assert [a.status_code for a in answers[:20]] == [202] * 20
    assert answers[20].status_code == 429 and int(answers[20].headers["Retry-After"]) > 0
    assert "error" in answers[20].json()
    assert len(smtp_server.wait_for(20)) == 20


def test_footer_form_on_the_feed_page_subscribes(web, mail_settings, smtp_server):
    home = web.get("/")
    assert home.status_code == 200 and 'action="/subscribe"' in home.text
    token = _CSRF.search(home.text.split('action="/subscribe"', 1)[1]).group(1)
    reply = web.post("/subscribe", data={"email": "footer@example.org", "frequency": "weekly",
                                         "csrf_token": token})  # fmt: skip
    assert reply.status_code == 200
    [mail] = smtp_server.wait_for(1)
    assert "weekly" in text_part(mail.message)
    assert _status(mail_settings, "footer@example.org") == "pending"
