"""``dailypapers import`` and ``dailypapers demo`` as a user runs them."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dailypapers.config import Settings, get_settings
from dailypapers.store import db
from dailypapers.store.models import Paper, PaperVector
from tests.conftest import CORPUS_74K, PAGES_DIR, TEST_SECRET, _free_port

CLI = Path(sys.executable).parent / "dailypapers"


def _env(settings: Settings | None, data_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update(DAILYPAPERS_SECRET_KEY=TEST_SECRET, DAILYPAPERS_EMBED_ON_IMPORT="false",
               COLUMNS="200")  # fmt: skip
    env["DAILYPAPERS_DATA_DIR"] = str(data_dir or settings.data_dir)
    if settings is not None and settings.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = settings.database_url
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@pytest.mark.skipif(not PAGES_DIR.is_dir(), reason="../shared/corpus/pages missing")
def test_import_pages_prints_a_summary(cli_env: Settings) -> None:
    from dailypapers.cli.main import app

    result = CliRunner().invoke(app, ["import", str(PAGES_DIR), "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "4 file(s), 175 papers read: 173 added, 0 updated, 2 skipped, 0 errors" in result.output
    again = CliRunner().invoke(app, ["import", str(PAGES_DIR), "--format", "pages"])
    assert "0 added, 0 updated, 175 skipped, 0 errors" in again.output


def test_bad_lines_are_listed_and_strict_fails(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    good = {"id": "2501.00001", "title": "T", "first_listing_date": "2025-01-02"}
    path.write_text(json.dumps(good) + "\n{broken\n" + json.dumps({**good, "id": "2501.2"}) + "\n")
    relaxed = _run(["import", str(path)], _env(settings))
    assert relaxed.returncode == 3, relaxed.stderr  # imported, some entries skipped
    assert f"{path}:2: not valid JSON" in relaxed.stderr
    assert f"{path}:3: missing or malformed arXiv id" in relaxed.stderr
    assert "1 added, 0 updated, 0 skipped, 2 errors" in relaxed.stdout
    strict = _run(["import", "--strict", str(path)], _env(settings))
    assert strict.returncode == 1
    assert "stopped at the first bad entry" in strict.stderr
    assert "Traceback" not in strict.stderr


def test_missing_file_and_bad_format_are_clear_messages(settings: Settings, tmp_path: Path) -> None:
    missing = _run(["import", str(tmp_path / "nope.jsonl")], _env(settings))
    assert missing.returncode == 1
    assert "no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad = _run(["import", "--format", "csv", str(PAGES_DIR)], _env(settings))
    assert bad.returncode == 1 and "unknown format 'csv'" in bad.stderr


def test_unreachable_database_is_a_clear_message(tmp_path: Path) -> None:
    env = {
        **_env(None, tmp_path),
        "DAILYPAPERS_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x",
    }
    result = _run(["import", str(PAGES_DIR)], env)
    assert result.returncode == 1
    assert "database unavailable" in result.stderr and "Traceback" not in result.stderr


def test_import_upgrades_a_fresh_database(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    page = tmp_path / "p.txt"
    page.write_text("Daily Papers\nA Title\nAn abstract.\n  • 2 authors\n·\nJan 2, 2024 3\n")
    result = _run(["import", str(page)], _env(None, data))
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    assert (data / "dailypapers.sqlite3").exists()


@pytest.mark.skipif(not CORPUS_74K.exists(), reason="../shared corpus missing")
def test_import_with_precomputed_vectors(settings: Settings, tmp_path: Path) -> None:
    import numpy as np

    shared = np.load(f"{CORPUS_74K.parent}/arxiv-cs-74k.minilm.f16.npy", mmap_mode="r")
    with gzip.open(CORPUS_74K, "rt") as src:
        lines = [next(src) for _ in range(40)]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(lines))
    matrix = tmp_path / "v.npy"
    np.save(matrix, np.asarray(shared[:30]))
    ids = [json.loads(line)["id"] for line in lines[:30]]
    (tmp_path / "v.npy.ids.txt").write_text("\n".join(ids) + "\n")
    result = _run(["import", str(corpus), "--vectors", str(matrix)], _env(settings))
    assert result.returncode == 0, result.stderr
    assert "40 added" in result.stdout and f"30 vectors stored from {matrix}" in result.stdout
    with db.session_scope(settings) as session:
        stored = session.scalars(select(PaperVector.paper_id)).all()
    assert sorted(stored) == sorted(ids)
    missing = _run(["import", str(corpus), "--vectors", str(tmp_path / "nope.npy")], _env(settings))
    assert missing.returncode == 1 and "nope.npy.ids.txt" in missing.stderr


@pytest.mark.slow
def test_demo_fills_once_and_serves(tmp_path: Path) -> None:
    data, port = tmp_path / "demo", _free_port()
    env = _env(None, data)
    server = subprocess.Popen(
        [str(CLI), "demo", "--data-dir", str(data), "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/api/daily_papers?limit=5", server)
        assert len(body) == 5 and all(item["title"] for item in body)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    settings = Settings(data_dir=data, secret_key=TEST_SECRET)
    with db.session_scope(settings) as session:
        assert session.scalar(select(func.count()).select_from(Paper)) > 2500
    again = _run(["demo", "--data-dir", str(data), "--no-serve"], env)
    assert again.returncode == 0 and "already" in again.stderr
    db._engine_for.cache_clear()


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 120) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"demo exited: {process.stdout.read() if process.stdout else ''}")
        try:
            return httpx.get(url, timeout=5).raise_for_status().json()
        except httpx.HTTPError:
            time.sleep(0.5)
    raise AssertionError("demo did not serve in time")
