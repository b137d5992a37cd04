"""Shared fixtures: a fresh real database per test (SQLite, or PostgreSQL when
``DAILYPAPERS_TEST_DATABASE_URL`` names one), the app, an HTTP client and a live server.

Run the whole suite on PostgreSQL with
``DAILYPAPERS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/postgres pytest``.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# API response caches re-check the data version on every request, so tests see their writes.
os.environ.setdefault("DAILYPAPERS_API_CACHE_SECONDS", "0")
# The model's ONNX export (for torch-free query embedding) is made once per machine, not once
# per test's data folder (it takes seconds); keyed by the weights, shared under a file lock.
os.environ.setdefault("DAILYPAPERS_MODEL_CACHE_DIR", "/tmp/dailypapers-test-models")

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dailypapers.config import Settings
from dailypapers.search import forget_indexes
from dailypapers.store import db
from dailypapers.store.models import Base

SHARED = Path(__file__).resolve().parents[2] / "shared"
PAGES_DIR = SHARED / "corpus" / "pages"
CORPUS_74K = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
PG_URL = os.environ.get("DAILYPAPERS_TEST_DATABASE_URL", "")
TEST_SECRET = "test-secret-key-not-for-production"


def on_postgres() -> bool:
    return PG_URL.startswith("postgresql")


@pytest.fixture(autouse=True)
def _restore_environment() -> Iterator[None]:
    """Undo what a test's in-process command wrote to ``os.environ``.

    The CLI's global ``--data-dir``/``--database-url`` export themselves for child processes;
    run in-process by ``CliRunner`` they would otherwise reach every later test.
    """
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this test session, migrated once."""
    if not on_postgres():
        yield None
        return
    name = f"dp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db.upgrade(Settings(database_url=url, secret_key=TEST_SECRET))
    yield url
    db._engine_for.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("template")
    db.upgrade(Settings(data_dir=folder, secret_key=TEST_SECRET))
    db.get_engine(Settings(data_dir=folder, secret_key=TEST_SECRET)).dispose()
    return folder / "dailypapers.sqlite3"


def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.get_engine(Settings(database_url=url, secret_key=TEST_SECRET)).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def settings(
    tmp_path: Path, _pg_database: str | None, _sqlite_template: Path
) -> Iterator[Settings]:
    """Settings over a fresh, migrated, empty database and a private data folder."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if _pg_database:
        _truncate_all(_pg_database)
        url = _pg_database
    else:
        shutil.copy(_sqlite_template, data_dir / "dailypapers.sqlite3")
        url = None
    yield Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        embed_on_import=False,
        arxiv_delay_seconds=0,
        # No SMTP server listens in most tests: an account mail's retries after "connection
        # refused" would otherwise sleep 2 + 4 + 8 s inside each signup's request.
        mail_retry_backoff_seconds=0,
    )
    # Stop the test's search-index refresher: on PostgreSQL every test shares one database, and
    # a refresher left running indexed the next tests' papers (a 74k import took 164 s, not 18).
    forget_indexes(data_dir)
    if url is None:
        db._engine_for.cache_clear()


@pytest.fixture
def session(settings: Settings):
    with db.session_scope(settings) as s:
        yield s


@pytest.fixture
def app(settings: Settings):
    from dailypapers.web.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served by a real uvicorn on loopback; yields its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)
    if thread.is_alive():  # connections that would not close: do not leave it to the next test
        server.force_exit = True
        thread.join(10)
