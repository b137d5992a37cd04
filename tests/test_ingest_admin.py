"""``dailypapers ingest status`` and the admin ingestion page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dailypapers import jobs
from dailypapers.ingest import live
from tests.community_fixtures import bearer, make_user
from tests.ingest_fixtures import ingest_settings, upstream  # noqa: F401


@pytest.fixture
def admin_client(ingest_settings) -> Iterator[TestClient]:  # noqa: F811
    from dailypapers.web.app import create_app

    jobs.configure(ingest_settings, immediate=True)
    with TestClient(create_app(ingest_settings)) as client:
        yield client
    jobs.configure(None, immediate=False)


def test_status_page_needs_an_admin(ingest_settings, admin_client) -> None:  # noqa: F811
    _, token = make_user(ingest_settings, "reader")
    assert admin_client.get("/api/admin/ingest").status_code == 401
    assert admin_client.get("/api/admin/ingest", headers=bearer(token)).status_code == 403
    assert admin_client.get("/admin/ingest", headers=bearer(token)).status_code == 403
    page = admin_client.get("/admin/ingest", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_status_page_shows_runs_and_errors_escaped(ingest_settings, upstream, admin_client) -> None:  # noqa: F811
    _, token = make_user(ingest_settings, "root", admin=True)
    upstream.fail("daily_papers", 400, body=b"<script>alert(1)</script>")
    live.run(ingest_settings, ["arxiv", "hf"], day=dt.date(2026, 11, 21))
    data = admin_client.get("/api/admin/ingest", headers=bearer(token)).json()
    rows = {(r["source"], r["key"]): r for r in data["sources"]}
    assert rows["arxiv", "cs.LG"]["added"] == 5
    assert rows["arxiv", "cs.LG"]["cursor"]["watermark"] == "2026-11-21T18:20:11"
    assert "HTTP 400" in rows["hf", "daily"]["last_error"]
    assert data["queue"]["backend"] == "memory"
    html = admin_client.get("/admin/ingest", headers=bearer(token)).text
    assert "updated ≥ 2026-11-21 18:20:11" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_run_now_queues_an_ingestion(ingest_settings, upstream, admin_client) -> None:  # noqa: F811
    _, token = make_user(ingest_settings, "root", admin=True)
    response = admin_client.post(
        "/admin/ingest/run", data={"source": "hf"}, headers=bearer(token), follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].endswith("queued=hf")
    assert upstream.hits("/api/daily_papers")  # immediate mode: the task already ran
    bad = admin_client.post("/admin/ingest/run", data={"source": "x"}, headers=bearer(token))
    assert bad.status_code == 422


def test_cli_status_and_run(ingest_settings, upstream, monkeypatch) -> None:  # noqa: F811
    from dailypapers.cli.main import app
    from dailypapers.config import get_settings

    env = {
        "DATA_DIR": str(ingest_settings.data_dir),
        "DATABASE_URL": ingest_settings.database_url or "",
        "ARXIV_API_URL": ingest_settings.arxiv_api_url,
        "HF_API_URL": ingest_settings.hf_api_url,
        "ARXIV_PAGE_SIZE": "3",
        "ARXIV_FIRST_RUN_DAYS": "36500",
        "ARXIV_DELAY_SECONDS": "0",
        "HTTP_BACKOFF_SECONDS": "0.01",
        "EMBED_ON_IMPORT": "false",
    }
    for key, value in env.items():
        if value:
            monkeypatch.setenv(f"DAILYPAPERS_{key}", value)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        empty = runner.invoke(app, ["ingest", "status"])
        assert "No ingestion has run yet" in empty.output
        ran = runner.invoke(app, ["ingest", "run", "--source", "arxiv", "--category", "cs.CL"])
        assert ran.exit_code == 0, ran.output
        assert "arxiv cs.CL: 2 added, 0 updated, 0 unchanged (1 page)" in ran.output
        upstream.fail("daily_papers", 500, times=10)
        failed = runner.invoke(app, ["ingest", "run", "--source", "hf", "--date", "2026-11-21"])
        assert failed.exit_code == 1
        status = runner.invoke(app, ["ingest", "status"], env={"COLUMNS": "200"})
        assert "cs.CL" in status.output and "HTTP 500" in status.output
        bad = runner.invoke(app, ["ingest", "run", "--since", "yesterday"])
        assert bad.exit_code != 0
    finally:
        get_settings.cache_clear()
