"""A host that cannot be reached (DNS, refused) fails at once, in one readable line, in the
CLI (exit 3), the cursor and the admin page; other failures still retry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dailypapers.ingest import http, live
from tests.community_fixtures import bearer, make_user
from tests.conftest import _free_port
from tests.ingest_fixtures import cli_env, ingest_settings, upstream  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://export.arxiv.invalid/api/query", "does not resolve"),
    (f"http://127.0.0.1:{_free_port()}/api/query", "refused"),
])  # fmt: skip
def test_unreachable_hosts_are_not_retried(settings, url: str, reason: str) -> None:
    waits: list[float] = []
    with http.make_client(settings) as client, pytest.raises(http.UpstreamUnreachable) as err:
        http.get(client, settings, url, {"search_query": "cat:cs.LG"}, sleep=waits.append)
    assert waits == []  # no retry, no backoff
    message = str(err.value)
    assert reason in message and "\n" not in message and "search_query" not in message
    assert message.startswith(httpx.URL(url).host + ": ")


def test_cli_fails_fast_with_one_line_and_exit_3(ingest_settings) -> None:  # noqa: F811
    dead = f"http://127.0.0.1:{_free_port()}"
    env = cli_env(ingest_settings, arxiv_api_url=f"{dead}/api/query", http_max_retries="5",
                  http_backoff_seconds="2")  # fmt: skip
    code = "from dailypapers.cli.main import main; main()"
    args = [sys.executable, "-c", code, "ingest", "run", "--source", "arxiv"]
    run = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "retry" not in run.stderr  # http.get logs every retry it makes
    assert run.returncode == 3, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: 127.0.0.1: the connection was refused (is the service down, or "
                      "the URL wrong?)"] * 2  # fmt: skip
    assert "Traceback" not in run.stderr and "ConnectError" not in run.stderr


def test_admin_page_shows_the_readable_line(ingest_settings) -> None:  # noqa: F811
    from fastapi.testclient import TestClient

    from dailypapers.web.app import create_app

    dead = ingest_settings.model_copy(update={"hf_api_url": "http://huggingface.invalid"})
    results = live.run(dead, ["hf"])
    assert results[0].unreachable
    _, token = make_user(dead, "root", admin=True)
    with TestClient(create_app(dead)) as client:
        html = client.get("/admin/ingest", headers=bearer(token)).text
    assert "huggingface.invalid: the host name does not resolve (no network or DNS?)" in html
