"""Engine and sessions for SQLite (WAL, busy timeout) and PostgreSQL, and schema upgrades."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Result, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from dailypapers.config import Settings, get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


def get_engine(settings: Settings | None = None) -> Engine:
    """The shared engine for the configured database (one per URL per process)."""
    return _engine_for((settings or get_settings()).sqlalchemy_url)


def session_factory(settings: Settings | None = None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(settings), expire_on_commit=False)


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(settings)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# One writer at a time per process on SQLite: a burst of parallel writes from one web worker
# would otherwise collapse into the busy handler's growing sleeps. PostgreSQL locks rows, not
# the database, so there the lock is skipped.
_WRITER = threading.Lock()


@contextmanager
def sqlite_writer(settings: Settings) -> Iterator[None]:
    """Hold the process's SQLite write lock for the enclosed block (no-op on PostgreSQL).

    Take it only while already holding the connection that will write: a lock holder that
    waited for a pool connection could wait for threads that wait for the lock.
    """
    if not settings.is_sqlite:
        yield
        return
    with _WRITER:
        yield


@contextmanager
def writing(session: Session, settings: Settings) -> Iterator[Session]:
    """The caller's write transaction: services run inside, it commits at the end.

    Services never commit; the route, command or job that calls them owns the transaction
    through this block (or ``session_scope``). On error everything is rolled back.
    """
    session.connection()  # hold the connection before the lock (see ``sqlite_writer``)
    with sqlite_writer(settings):
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(settings: Settings | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (settings or get_settings()).sqlalchemy_url)
    return cfg


def upgrade(settings: Settings | None = None, revision: str = "heads") -> None:
    """Bring the database schema to ``revision`` (idempotent)."""
    settings = settings or get_settings()
    cfg = alembic_config(settings)
    with get_engine(settings).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def is_current(settings: Settings | None = None) -> bool:
    """Whether the schema is at the newest migration (cheap check used at start-up)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    settings = settings or get_settings()
    engine = get_engine(settings)
    if not inspect(engine).has_table("alembic_version"):
        return False
    heads = set(ScriptDirectory.from_config(alembic_config(settings)).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


def ensure_schema(settings: Settings | None = None) -> None:
    """Upgrade a fresh or outdated database; a no-op when it is current."""
    if not is_current(settings):
        upgrade(settings)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (its result is a ``CursorResult`` at run time)."""
    return cast(CursorResult[Any], result).rowcount
