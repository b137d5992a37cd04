"""Community pages through the real app: accounts, sessions, CSRF, escaping, forms, claims."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from itsdangerous import TimestampSigner

from dailypapers.store import db
from dailypapers.store.models import Paper
from tests.community_fixtures import (
    PASSWORD,
    add_paper,
    bearer,
    confirmation_token,
    fresh_window,
    make_user,
)
from tests.conftest import TEST_SECRET
from tests.digest_fixtures import smtp_server, text_part  # noqa: F401  (fixture)
from tests.querylog import recorded_statements

HOSTILE = '<script>alert("pwn")</script><img src=x onerror=alert(1)>'


def csrf(client, path: str = "/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def signup(client, name: str = "alice") -> None:
    """Sign up, then follow the confirmation link (read from the database, not the mail)."""
    response = client.post(
        "/signup",
        data={"username": name, "email": f"{name}@example.org", "password": PASSWORD,
              "csrf_token": csrf(client, "/signup")},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 200 and "Check your inbox" in response.text, response.text
    link = f"/signup/confirm/{confirmation_token(client.app.state.settings, f'{name}@example.org')}"
    done = client.post(link, data={"csrf_token": csrf(client, link)}, follow_redirects=False)
    assert done.status_code == 303, done.text


def login(client, name: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={"login": name, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )


def session_cookie(data: dict, secret: str = TEST_SECRET, age: float = 0) -> str:
    """A cookie exactly as Starlette's SessionMiddleware signs it, optionally back-dated."""

    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age)

    payload = base64.b64encode(json.dumps(data).encode())
    return OldSigner(secret).sign(payload).decode()


# --- accounts and sessions -------------------------------------------------------------------
def test_signup_logs_in_and_logout_ends_the_session(client) -> None:
    signup(client)
    assert client.get("/api/me").json()["name"] == "alice"
    assert "alice" in client.get("/settings").text
    stolen = client.cookies.get("dp_session")
    client.post("/logout", data={"csrf_token": csrf(client, "/settings")})
    assert client.get("/api/me").status_code == 401
    client.cookies.set("dp_session", stolen)  # a copy taken before log-out is dead too
    assert client.get("/api/me").status_code == 401


def test_signup_errors_are_shown_not_raised(client, settings) -> None:
    make_user(settings, "alice")
    token = csrf(client, "/signup")
    taken = client.post("/signup", data={"username": "alice", "email": "a2@example.org",
                                         "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert taken.status_code == 409 and "user name is taken" in taken.text
    short = client.post("/signup", data={"username": "bob", "email": "bob@example.org",
                                         "password": "short", "csrf_token": token})  # fmt: skip
    assert short.status_code == 400 and "at least 8" in short.text


def test_login_checks_password_and_redirects_only_same_site(client, settings) -> None:
    make_user(settings, "alice")
    assert login(client, "alice", "wrong password").status_code == 400
    response = client.post(
        "/login",
        data={"login": "ALICE@example.org", "password": PASSWORD, "next": "//evil.example/x",
              "csrf_token": csrf(client)},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get("/api/me").json()["name"] == "alice"


def test_forged_and_expired_sessions_are_rejected(client, settings) -> None:
    uid, _ = make_user(settings, "alice")
    now = int(time.time())
    good = {"uid": uid, "sv": 0, "iat": now}
    client.cookies.set("dp_session", session_cookie(good))
    assert client.get("/api/me").json()["name"] == "alice"  # the crafting is faithful
    client.cookies.set("dp_session", session_cookie(good, secret="attacker-guess"))
    assert client.get("/api/me").status_code == 401
    client.cookies.set("dp_session", session_cookie(good, age=31 * 86400))  # signature too old
    assert client.get("/api/me").status_code == 401
    client.cookies.set("dp_session", session_cookie({**good, "iat": now - 31 * 86400}))
    assert client.get("/api/me").status_code == 401  # log-in older than session_days
    client.cookies.set("dp_session", session_cookie({**good, "sv": 1}))
    assert client.get("/api/me").status_code == 401  # session version moved on
    assert client.get("/settings", follow_redirects=False).headers["location"].startswith("/login")


def test_password_change_logs_out_other_browsers(app, settings) -> None:
    from fastapi.testclient import TestClient

    make_user(settings, "alice")
    with TestClient(app) as laptop, TestClient(app) as phone:
        login(laptop, "alice")
        login(phone, "alice")
        form = {"current": PASSWORD, "password": "new password 2"}
        laptop.post("/settings/password", data={**form, "csrf_token": csrf(laptop, "/settings")})
        assert laptop.get("/api/me").status_code == 200
        assert phone.get("/api/me").status_code == 401
        assert login(phone, "alice", "new password 2").status_code == 303


def test_password_reset_by_mail(client, settings, smtp_server) -> None:  # noqa: F811
    settings.smtp_port = smtp_server.port
    make_user(settings, "alice")
    for address in ("alice@example.org", "nobody@example.org"):
        page = client.post("/password/forgot", data={"email": address,
                                                      "csrf_token": csrf(client)})  # fmt: skip
        assert "If an account uses that address" in page.text
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["alice@example.org"]
    link = re.search(r"http://testserver(/password/reset/\S+)", text_part(mail.message)).group(1)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": "brand new pass", "csrf_token": csrf(client, link)},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert client.get("/api/me").json()["name"] == "alice"
    reused = client.get(link)
    assert reused.status_code == 400 and "already been used" in reused.text
    assert login(client, "alice", "brand new pass").status_code == 303


# --- CSRF and escaping -----------------------------------------------------------------------
def test_cookie_writes_without_csrf_are_403(client, settings) -> None:
    add_paper(settings, "2505.00001")
    signup(client)
    assert client.post("/papers/2505.00001/upvote").status_code == 403
    assert client.post("/api/papers/2505.00001/upvote").status_code == 403
    form = client.post("/papers/2505.00001/comments", data={"text": "hi", "csrf_token": "forged"})
    assert form.status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.get("/api/me").status_code == 200  # still logged in
    token = csrf(client, "/papers/2505.00001")
    ok = client.post("/api/papers/2505.00001/upvote", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["upvotes"] == 1
    with db.session_scope(settings) as session:
        assert session.get(Paper, "2505.00001").num_comments == 0


def test_hostile_html_is_escaped_in_comments_and_titles(client, settings) -> None:
    add_paper(settings, "2505.00002", title=f"Title {HOSTILE}", organization=f"Org {HOSTILE}")
    _, token = make_user(settings, "mallory")
    text = f'{HOSTILE} see https://example.org/"onmouseover=alert(1)'
    client.post("/api/papers/2505.00002/comments", json={"text": text}, headers=bearer(token))
    page = client.get("/papers/2505.00002").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;pwn&#34;)&lt;/script&gt;" in page
    assert '<a href="https://example.org/" rel="nofollow ugc noopener"' in page
    for path in ("/authors/Ada%20Lovelace", "/admin"):
        assert "<script>alert" not in client.get(path).text


# --- forms without JavaScript ----------------------------------------------------------------
def test_upvote_and_comment_forms_work_without_javascript(client, settings) -> None:
    add_paper(settings, "2505.00003")
    signup(client)
    token = csrf(client, "/papers/2505.00003")
    voted = client.post("/papers/2505.00003/upvote", data={"csrf_token": token, "next": "/week"},
                        follow_redirects=False)  # fmt: skip
    assert voted.status_code == 303 and voted.headers["location"] == "/week"
    page = client.get("/papers/2505.00003").text
    assert 'action="/papers/2505.00003/unvote"' in page and 'aria-pressed="true"' in page
    client.post("/papers/2505.00003/comments", data={"csrf_token": token, "text": "Nice result"})
    assert "Nice result" in client.get("/papers/2505.00003").text
    client.post("/papers/2505.00003/unvote", data={"csrf_token": token})
    with db.session_scope(settings) as session:
        paper = session.get(Paper, "2505.00003")
        assert (paper.upvotes, paper.num_comments) == (0, 1)


def test_anonymous_upvote_form_redirects_to_login(client, settings) -> None:
    add_paper(settings, "2505.00004")
    token = csrf(client, "/papers/2505.00004")
    response = client.post("/papers/2505.00004/upvote", data={"csrf_token": token},
                           headers={"Referer": "http://testserver/week?page=2"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303  # back to the page of the form after log-in
    assert response.headers["location"] == "/login?next=%2Fweek%3Fpage%3D2&why=upvote"
    explained = client.get(response.headers["location"])
    assert "to upvote papers" in explained.text and 'value="/week?page=2"' in explained.text
    foreign = client.post(
        "/papers/2505.00004/upvote",
        data={"csrf_token": token},
        headers={"Referer": "http://evil.example/x"},
        follow_redirects=False,
    )
    assert foreign.headers["location"] == "/login?next=%2F&why=upvote"
    form = {"csrf_token": token, "next": "/?page=2#paper-2505.00004"}
    anchored = client.post("/papers/2505.00004/upvote", data=form, follow_redirects=False)
    expected = "/login?next=%2F%3Fpage%3D2%23paper-2505.00004&why=upvote"
    assert anchored.headers["location"] == expected


@pytest.mark.parametrize(("action", "fields", "why", "says"), [
    ("/library/save", {"paper_id": "2505.00004"}, "library", "save papers"),
    ("/library/read", {"paper_id": "2505.00004", "read": "1"}, "library", "save papers"),
    ("/following", {"kind": "category", "value": "cs.LG"}, "follow", "to follow"),
])  # fmt: skip
def test_anonymous_library_and_follow_buttons_explain_the_log_in(
    client, settings, action, fields, why, says
) -> None:
    add_paper(settings, "2505.00004")
    form = {"csrf_token": csrf(client, "/papers/2505.00004"), **fields}
    response = client.post(action, data=form, follow_redirects=False,
                           headers={"Referer": "http://testserver/papers/2505.00004"})  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/papers/2505.00004&why={why}"
    explained = client.get(response.headers["location"]).text
    assert says in explained and 'value="/papers/2505.00004"' in explained


def test_login_rate_limit_is_429_with_retry_after(client, settings, monkeypatch) -> None:
    make_user(settings, "alice")
    fresh_window(monkeypatch)  # eleven argon2 checks must fall in one window
    codes = [login(client, "alice", f"guess {i}").status_code for i in range(11)]
    assert codes == [400] * 10 + [429]
    limited = login(client, "alice")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Too many login requests" in limited.text


# --- organizations, authors, claims ----------------------------------------------------------
def test_organization_and_author_pages(client, settings) -> None:
    add_paper(settings, "2505.00005", "Deep paper", organization="Google DeepMind")
    add_paper(settings, "2505.00006", "Other paper", organization="Meta", authors=("Ada Lovelace",))
    for path in ("/Google%20DeepMind/papers", "/google-deepmind/papers", "/GOOGLE DEEPMIND/papers"):
        page = client.get(path)
        assert page.status_code == 200 and "Deep paper" in page.text
        assert "Other paper" not in page.text
    author = client.get("/authors/ada lovelace").text
    assert "Deep paper" in author and "Other paper" in author
    assert client.get("/Nobody/papers").status_code == 404
    assert client.get("/authors/Nobody%20Here").status_code == 404
    assert client.get("/api/papers").status_code == 404


def test_claim_approve_then_edit_links(client, settings) -> None:
    add_paper(settings, "2505.00007", "Claimed paper")
    make_user(settings, "root", admin=True)
    signup(client, "author")
    token = csrf(client, "/papers/2505.00007")
    links = {"csrf_token": token, "github_repo": "https://github.com/a/b", "project_page": ""}
    assert client.post("/papers/2505.00007/links", data=links).status_code == 403
    client.post("/papers/2505.00007/claim", data={"csrf_token": token})
    assert "waiting for an administrator" in client.get("/papers/2505.00007").text
    client.post("/logout", data={"csrf_token": token})
    login(client, "root")
    admin_page = client.get("/admin").text
    claim_id = re.search(r'action="/admin/claims/(\d+)"', admin_page).group(1)
    client.post(f"/admin/claims/{claim_id}",
                data={"decision": "approve", "csrf_token": csrf(client, "/admin")})  # fmt: skip
    client.post("/logout", data={"csrf_token": csrf(client, "/admin")})
    login(client, "author")
    token = csrf(client, "/papers/2505.00007")
    bad = client.post(
        "/papers/2505.00007/links",
        data={**links, "csrf_token": token, "github_repo": "javascript:alert(1)"},
    )
    assert "http(s) URL" in client.get("/papers/2505.00007").text or bad.status_code == 200
    client.post("/papers/2505.00007/links", data={**links, "csrf_token": token})
    with db.session_scope(settings) as session:
        assert session.get(Paper, "2505.00007").github_repo == "https://github.com/a/b"
    assert "badge-code" in client.get("/authors/Ada%20Lovelace").text


def test_admin_pages_need_an_admin(client, settings) -> None:
    signup(client)
    assert client.get("/admin").status_code == 403
    assert client.post("/admin/claims/1", data={"decision": "approve",
                                                "csrf_token": csrf(client, "/settings")}
                       ).status_code == 403  # fmt: skip


@pytest.mark.parametrize("path", ["/settings", "/submit"])
def test_pages_that_need_login_redirect(client, path) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize(("path", "says"), [("/for-you", "For you"), ("/library", "library")])
def test_personal_pages_say_what_logging_in_gives(client, path, says) -> None:
    page = client.get(path)  # redirected to the log-in form
    assert page.url.path == "/login" and 'class="notice"' in page.text
    notice = page.text.split('class="notice"', 1)[1].split("</p>", 1)[0]
    assert says in notice and "sign up" in notice


def test_the_operators_login_notice_shows_escaped(settings) -> None:
    from fastapi.testclient import TestClient

    from dailypapers.web.app import create_app

    notice = "Lab members only: ask <b>Ada</b> & co."
    with TestClient(create_app(settings.model_copy(update={"login_notice": notice}))) as c:
        for path in ("/login", "/signup"):
            page = c.get(path).text
            assert "Lab members only: ask &lt;b&gt;Ada&lt;/b&gt; &amp; co." in page
            assert "<b>Ada</b>" not in page


# --- query counts ----------------------------------------------------------------------------
def _statements(settings, client, path: str) -> list[str]:
    with recorded_statements(db.get_engine(settings)) as seen:
        assert client.get(path).status_code == 200
    return seen


def test_vote_buttons_cost_one_query_per_page_not_per_paper(client, settings) -> None:
    import datetime as dt

    signup(client)
    add_paper(settings, "2508.00000")
    client.post("/api/papers/2508.00000/upvote",
                headers={"X-CSRF-Token": csrf(client, "/settings")})  # fmt: skip
    few = _statements(settings, client, "/date/2025-03-18")
    for i in range(1, 40):
        add_paper(settings, f"2508.{i:05d}", feed_date=dt.date(2025, 3, 18))
    many = _statements(settings, client, "/date/2025-03-18")
    assert len(many) == len(few), "\n---\n".join([*many, "=== before ===", *few])
    page = client.get("/date/2025-03-18").text
    assert page.count('class="upvote-form"') == 40 and page.count('aria-pressed="true"') == 1
