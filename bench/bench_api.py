"""``/api/daily_papers`` and the feed page under load, on loopback, one uvicorn worker.

    python -m bench api                      # the 74,728-paper corpus, SQLite, 10 s per target
    python -m bench api --papers=20000 --seconds=5
    python -m bench api --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench_api

Fills a fresh database with the corpus through the real importer (then computes trending
scores, as ``dailypapers trending refresh`` does), starts ``dailypapers serve --workers 1``
as a subprocess and loads each target at concurrency 16: with ``wrk`` when installed
(``apt-get install wrk``; duration-bounded), else with an httpx async client
(``--requests`` per target). Targets cycle over the 20 most recent feed days, as readers do.
Goal (issue 2): the API ≥ 1,000 requests/s with p99 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

from bench.common import SHARED, percentile, save

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
CONCURRENCY = 16


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__)
    parser.add_argument("--papers", type=int, default=0, help="import only the first N (0: all)")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per target")
    parser.add_argument("--requests", type=int, default=5000, help="httpx requests per target")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def _subset(path: Path, count: int, folder: Path) -> Path:
    if count <= 0:
        return path
    out = folder / "subset.jsonl.gz"
    with gzip.open(path, "rt") as src, gzip.open(out, "wt") as dst:
        for i, line in enumerate(src):
            if i >= count:
                break
            dst.write(line)
    return out


def _fill(env: dict[str, str], corpus: Path) -> dict[str, float]:
    """Import the corpus and refresh trending scores in a child process (its own settings)."""
    code = (
        "import time, json\n"
        "from dailypapers.config import Settings\n"
        "from dailypapers.store import db\n"
        "from dailypapers.ingest.runner import import_paths\n"
        "s = Settings(); db.upgrade(s); t = time.perf_counter()\n"
        f"r = import_paths(s, [{str(corpus)!r}])\n"
        "seconds = time.perf_counter() - t\n"
        "try:\n"
        "    from dailypapers.store.trending import refresh_scores\n"
        "    with db.session_scope(s) as session: refresh_scores(session, s)\n"
        "except ImportError: pass\n"
        # A running PostgreSQL has vacuumed and analysed by the time readers come; without
        # this, autovacuum of the fresh 75k rows would compete with the load test.
        "if not s.is_sqlite:\n"
        "    from sqlalchemy import text\n"
        "    with db.get_engine(s).connect() as c:\n"
        "        c = c.execution_options(isolation_level='AUTOCOMMIT')\n"
        "        c.execute(text('VACUUM ANALYZE'))\n"
        "print(json.dumps({'papers': r.added, 'import_seconds': round(seconds, 1)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def _fresh_postgres(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (never ``postgres`` itself)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name or name == "postgres":
        raise SystemExit("give the benchmark its own database name, e.g. …/dp_bench")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(env: dict[str, str], port: int) -> Iterator[str]:
    exe = Path(sys.executable).with_name("dailypapers")
    cmd = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    # Its log goes to a file, not a pipe: a full pipe nobody reads would stall the server.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, url, log)
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


def _wait_ready(proc: subprocess.Popen, url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"server did not start: {log.read().decode()[-2000:]}")
        time.sleep(0.2)


def _recent_days(url: str) -> list[str]:
    items = httpx.get(url + "/api/daily_papers", params={"limit": 100}).json()
    days = sorted({i["publishedAt"][:10] for i in items}, reverse=True)
    older = httpx.get(url + "/api/daily_papers", params={"limit": 100, "p": 40}).json()
    days += sorted({i["publishedAt"][:10] for i in older}, reverse=True)
    return list(dict.fromkeys(days))[:20] or ["2025-03-18"]


_WRK_LUA = """
paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def _wrk(url: str, paths: list[str], seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % ", ".join(f'"{p}"' for p in paths))
    duration = f"-d{max(1, round(seconds))}s"
    cmd = ["wrk", "-t1", f"-c{CONCURRENCY}", duration, "--latency", "-s", script.name, url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(q: str) -> float:
        value, suffix = re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)", out).groups()
        return round(float(value) * unit[suffix], 2)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


async def _httpx(url: str, paths: list[str], total: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            start = time.perf_counter()
            response = await client.get(paths[i % len(paths)])
            latencies.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return {
        "requests_per_s": round(total / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "errors": errors,
    }


def _load(url: str, paths: list[str], args: argparse.Namespace) -> dict[str, float]:
    for path in paths[:3]:  # warm caches and connections the way a running site has them
        httpx.get(url + path)
    if shutil.which("wrk"):
        return _wrk(url, paths, args.seconds)
    return asyncio.run(_httpx(url, paths, args.requests))


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dp-bench-api-"))
    env = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(folder / "data"),
        "DAILYPAPERS_EMBED_ON_IMPORT": "false",
        "DAILYPAPERS_API_CACHE_SECONDS": "1",
    }
    if args.database_url:
        _fresh_postgres(args.database_url)
        env["DAILYPAPERS_DATABASE_URL"] = args.database_url
    try:
        figures: dict[str, object] = {"database": "postgresql" if args.database_url else "sqlite"}
        figures.update(_fill(env, _subset(CORPUS, args.papers, folder)))
        with _server(env, _free_port()) as url:
            days = _recent_days(url)
            targets = {
                "api_daily_papers": [f"/api/daily_papers?date={d}" for d in days],
                "api_daily_papers_trending": ["/api/daily_papers?sort=trending",
                                              "/api/daily_papers?sort=trending&p=1"],
                "feed_page": [f"/date/{d}" for d in days],
            }  # fmt: skip
            for name, paths in targets.items():
                for key, value in _load(url, paths, args).items():
                    figures[f"{name}_{key}"] = value
        figures["load_tool"] = "wrk" if shutil.which("wrk") else "httpx"
        # Other processes competing for the CPU skew the tail: say how busy the machine was.
        figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
        figures["concurrency"] = CONCURRENCY
        save("api" if not args.database_url else "api_postgresql", figures)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
