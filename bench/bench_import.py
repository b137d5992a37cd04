"""Import benchmark: the 74,728-paper arXiv corpus into a fresh database, without embeddings.

``python -m bench import [--limit N] [--backends sqlite,postgres]`` prints papers/s and the
peak memory of the importing process, for parsing alone and for a full import into a fresh
SQLite file and (when reachable) a fresh PostgreSQL database. Each run is a child process,
so peak memory is that run's own; the importer's CPU time is printed too, since wall time
on a shared machine depends on the other jobs. Goal: ≥ 1,500 papers/s.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import SHARED, peak_rss_mb, save

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
PG_ADMIN_URL = os.environ.get(
    "DAILYPAPERS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres"
)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench import")
    parser.add_argument("--limit", type=int, default=0, help="import only the first N papers")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        raise SystemExit(f"corpus missing: {CORPUS}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = _limited(Path(tmp), args.limit) if args.limit else CORPUS
        figures = {"papers": _count(corpus), "parse": _child(_parse_only, corpus, None)}
        for backend in args.backends.split(","):
            url = _fresh_database(backend, Path(tmp))
            if url is None:
                figures[backend] = "skipped (server not reachable)"
                continue
            try:
                figures[backend] = _child(_import, corpus, url)
            finally:
                _drop_database(url)
    save("import", figures)


def _limited(folder: Path, limit: int) -> Path:
    path = folder / "corpus.jsonl.gz"
    with gzip.open(CORPUS, "rt") as src, gzip.open(path, "wt", compresslevel=1) as out:
        for n, line in enumerate(src):
            if n >= limit:
                break
            out.write(line)
    return path


def _count(path: Path) -> int:
    with gzip.open(path, "rt") as src:
        return sum(1 for _ in src)


def _child(target, corpus: Path, url: str | None) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(corpus, url, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _parse_only(corpus: Path, _url: str | None, queue) -> None:
    from dailypapers.ingest.arxiv_jsonl import parse_arxiv_jsonl
    from dailypapers.ingest.runner import open_text

    start = time.perf_counter()
    text, raw = open_text(corpus)
    with raw:
        n = sum(1 for e in parse_arxiv_jsonl(text) if e.record)
    seconds = time.perf_counter() - start
    queue.put({"papers_per_s": round(n / seconds), "seconds": round(seconds, 2),
               "peak_rss_mb": round(peak_rss_mb())})  # fmt: skip


def _import(corpus: Path, url: str, queue) -> None:
    from dailypapers.config import Settings
    from dailypapers.ingest.runner import import_paths
    from dailypapers.store import db

    settings = Settings(database_url=url, embed_on_import=False)
    db.upgrade(settings)
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    report = import_paths(settings, [corpus])
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    queue.put({
        "papers_per_s": round(report.added / seconds), "seconds": round(seconds, 2),
        "importer_cpu_seconds": round(cpu, 2), "added": report.added,
        "errors": len(report.errors), "peak_rss_mb": round(peak_rss_mb()),
    })  # fmt: skip


def _fresh_database(backend: str, folder: Path) -> str | None:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    name = f"dp_bench_{uuid.uuid4().hex[:8]}"
    try:
        with create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
