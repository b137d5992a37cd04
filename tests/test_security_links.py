"""One URL policy (http/https only) at every entrance and in every output (issue 14).

Hostile links are written straight into the database (as rows imported before the policy
existed would be) and must not reach the paper page, Atom feeds, the Markdown view, the JSON
API or digest mails; the importers, the links API and migration 0007 refuse or clean them.
"""

from __future__ import annotations

import datetime as dt
import email
import shutil
from email.policy import default as default_policy

import pytest
from alembic import command
from sqlalchemy import create_engine, text, update

from dailypapers.config import Settings
from dailypapers.digest.send import send_digests
from dailypapers.store import db
from dailypapers.store.models import Paper
from dailypapers.store.urls import clean_url
from tests.community_fixtures import add_paper, bearer, make_user
from tests.conftest import TEST_SECRET, on_postgres
from tests.digest_fixtures import (
    add_papers,
    add_subscribers,
    html_part,
    smtp_server_fixture,  # noqa: F401  (the smtp_server fixture)
    text_part,
)

DAY = dt.date(2025, 3, 18)
HOSTILE = [
    "javascript:alert(1)",
    "  JaVaScRiPt:alert(document.domain)",
    "java\tscript:alert(2)",
    "\x00javascript:alert(3)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==",
    "vbscript:msgbox(5)",
    "//evil.example/x",
    "https:/\\evil.example",
]
MARKERS = ("javascript", "data:text", "vbscript", "evil.example", "alert(")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(h, None) for h in HOSTILE]
    + [
        (" https://github.com/a/b\n", "https://github.com/a/b"),
        ("HTTP://Example.org/p", "HTTP://Example.org/p"),
        ("https://ok.example/a b", None),
        ("ftp://files.example/x", None),
        ("http://", None),
        (None, None),
        (42, None),
    ],
)
def test_policy(raw: object, expected: str | None) -> None:
    assert clean_url(raw) == expected


def _store_hostile(settings: Settings, pid: str, bad: str) -> None:
    """Write links past the entry policy, like rows that predate it."""
    if on_postgres() and "\x00" in bad:
        pytest.skip("PostgreSQL text cannot hold NUL")
    with db.session_scope(settings) as session:
        links = {"github_repo": bad, "project_page": bad, "pdf_url": bad}
        session.execute(update(Paper).where(Paper.id == pid).values(links))


def _assert_clean(body: str) -> None:
    low = body.lower()
    for marker in MARKERS:
        assert marker not in low, marker


@pytest.mark.parametrize("bad", HOSTILE[:5])
def test_no_hostile_link_in_any_web_output(settings, client, bad: str) -> None:
    pid = add_paper(settings, "2503.20001", "Linked paper")
    _store_hostile(settings, pid, bad)
    paths = [
        f"/papers/{pid}",
        f"/papers/{pid}.md",
        f"/api/papers/{pid}",
        "/feed.xml",
        "/trending.xml",
        "/date/2025-03-18",
        "/api/daily_papers?date=2025-03-18",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_clean(response.text)
    assert client.get(f"/api/papers/{pid}").json().get("githubRepo") is None


def test_no_hostile_link_in_digest_mails(settings, smtp_server) -> None:
    settings = smtp_server.settings(settings)
    (pid,) = add_papers(settings, DAY, [{"title": "Linked paper", "arxiv_id": "2503.20002",
                                         "upvotes": 5}])  # fmt: skip
    _store_hostile(settings, pid, "  JaVaScRiPt:alert(1)")
    add_subscribers(settings, ["reader@example.org"])
    assert send_digests(settings, as_of=DAY).sent == 1
    (mail,) = smtp_server.to("reader@example.org")
    message = email.message_from_bytes(mail.raw, policy=default_policy)
    assert "Linked paper" in text_part(message)
    _assert_clean(text_part(message))
    _assert_clean(html_part(message))


def test_good_links_still_shown_everywhere(settings, client) -> None:
    pid = add_paper(settings, "2503.20003", "Good links")
    _store_hostile(settings, pid, "https://github.com/good/repo")
    for path in (f"/papers/{pid}", f"/papers/{pid}.md", "/feed.xml"):
        assert "https://github.com/good/repo" in client.get(path).text, path
    assert client.get(f"/api/papers/{pid}").json()["githubRepo"] == "https://github.com/good/repo"


def test_import_drops_hostile_links(settings) -> None:
    (pid,) = add_papers(settings, DAY, [{"title": "Imported", "arxiv_id": "2503.20004",
                                         "github_repo": " JAVASCRIPT:alert(1)",
                                         "project_page": "https://proj.example/ok ",
                                         "pdf_url": "data:application/pdf,x"}])  # fmt: skip
    with db.session_scope(settings) as session:
        paper = session.get(Paper, pid)
        assert paper is not None
        assert (paper.github_repo, paper.project_page, paper.pdf_url) == (
            None, "https://proj.example/ok", None,
        )  # fmt: skip


def test_links_api_refuses_hostile_links(settings, client) -> None:
    pid = add_paper(settings, "2503.20005", "Claimed")
    _, token = make_user(settings, "admin1", admin=True)
    for bad in HOSTILE:
        response = client.put(f"/api/papers/{pid}/links", json={"githubRepo": bad},
                              headers=bearer(token))  # fmt: skip
        assert response.status_code in (400, 422), bad  # 400: the NUL byte, refused at the door
        assert "http(s)" in response.json()["error"] or "NUL" in response.json()["error"]
    ok = client.put(f"/api/papers/{pid}/links", json={"projectPage": " https://p.example/x "},
                    headers=bearer(token))  # fmt: skip
    assert ok.status_code == 200 and ok.json()["projectPage"] == "https://p.example/x"


@pytest.mark.skipif(on_postgres(), reason="replays the migration on a private SQLite file")
def test_migration_0007_cleans_existing_rows(tmp_path, _sqlite_template) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=TEST_SECRET)
    shutil.copy(_sqlite_template, tmp_path / "dailypapers.sqlite3")
    cfg = db.alembic_config(settings)
    with db.get_engine(settings).begin() as conn:  # back to 0006: deployed before issue 14
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    db.get_engine(settings).dispose()
    engine = create_engine(settings.sqlalchemy_url)
    with engine.begin() as conn:
        for n, bad in enumerate([*HOSTILE, " https://ok.example/x "]):
            conn.execute(
                text("INSERT INTO papers (id, title, title_norm, abstract, authors, author_count,"
                     " categories, version, upvotes_external, upvotes, num_comments, source,"
                     " content_hash, trending_score, created_at, updated_at, github_repo,"
                     " project_page, pdf_url) VALUES (:id, 't', 't', '', '[]', 0, '[]', 1, 0, 0,"
                     " 0, 'import', '', 0, '2025-01-01', '2025-01-01', :bad, :bad,"
                     " 'https://arxiv.org/pdf/x')"),
                {"id": f"t-{n:012x}", "bad": bad},
            )  # fmt: skip
    engine.dispose()
    db.upgrade(settings)
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(text("SELECT github_repo, project_page, pdf_url FROM papers")).all()
    assert sorted(rows, key=str) == sorted(
        [(None, None, "https://arxiv.org/pdf/x")] * len(HOSTILE)
        + [("https://ok.example/x", "https://ok.example/x", "https://arxiv.org/pdf/x")],
        key=str,
    )
    db.get_engine(settings).dispose()
