"""Sustained load on the API, search, the day page and the paper page (issue 14).

    python -m bench load                          # 60 s per target at 32 and 96 connections
    python -m bench load --seconds=5 --papers=3000 --setups=sqlite   # a short look

Two setups, each on a fresh database filled with the corpus through the real importer:
``sqlite`` (``dailypapers serve --workers 1``) and ``postgresql`` (PostgreSQL + Redis,
``--workers 2``; ``--database-url``, ``--redis-url``). Each target is loaded with ``wrk``
(``apt-get install wrk``) over loopback for ``--seconds`` at each concurrency, cycling over
many URLs of its kind, and the run prints requests/s, p50/p99 latency and every response
that was not 2xx/3xx plus socket errors and timeouts (goal: 0 of them everywhere). Without
wrk, an httpx async client sends ``--seconds`` worth of requests instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.bench_api import CORPUS, _fill, _free_port, _fresh_postgres, _subset, _wait_ready
from bench.common import percentile, save

CONCURRENCY = (32, 96)
QUERIES = [
    "transformer", "graph neural network", "diffusion model", "reinforcement learning",
    "language model reasoning", "protein", "robot manipulation", "federated learning",
]  # fmt: skip


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__)
    parser.add_argument("--papers", type=int, default=20000, help="import the first N (0: all)")
    parser.add_argument("--seconds", type=int, default=60, help="duration per target and load")
    parser.add_argument("--connections", default="32,96", help="concurrencies, comma-separated")
    parser.add_argument("--setups", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1/dp_bench_load"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    return parser.parse_args(argv)


@contextlib.contextmanager
def _server(env: dict[str, str], workers: int) -> Iterator[str]:
    exe = Path(sys.executable).with_name("dailypapers")
    port = _free_port()
    cmd = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    with tempfile.TemporaryFile() as log:  # a file: a full pipe nobody reads stalls a server
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, url, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:  # open keep-alive connections hold it
                proc.kill()
                proc.wait(20)


def _targets(url: str) -> dict[str, list[str]]:
    items = httpx.get(url + "/api/daily_papers", params={"limit": 100}, timeout=60).json()
    days = sorted({i["publishedAt"][:10] for i in items}, reverse=True)[:20] or ["2025-03-18"]
    ids = [i["paper"]["id"] for i in items][:50]
    return {
        "api": [f"/api/daily_papers?date={d}" for d in days],
        "search": [f"/api/papers/search?q={q.replace(' ', '+')}" for q in QUERIES],
        "day_page": [f"/date/{d}" for d in days],
        "paper_page": [f"/papers/{i}" for i in ids],
    }


_WRK_LUA = """
paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def _wrk(url: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % ", ".join(f'"{p}"' for p in paths))
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency",
           "-s", script.name, url]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(q: str) -> float:
        found = re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)", out)
        return round(float(found.group(1)) * unit[found.group(2)], 1) if found else float("nan")

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    total = re.search(r"(\d+) requests in", out)
    return {
        "requests": int(total.group(1)) if total else 0,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(x) for x in sockets.groups()) if sockets else 0,
    }


async def _httpx(url: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    failed = errors = 0
    end = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal failed, errors
        i = offset
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                response = await client.get(paths[i % len(paths)])
                failed += response.status_code >= 400
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - start) * 1000)
            i += connections

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client, k) for k in range(connections)))
        elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "non_2xx": failed,
        "socket_errors": errors,
    }


def _load(url: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    for path in paths[:3]:  # warm caches (and the embedding model for search)
        httpx.get(url + path, timeout=120)
    if shutil.which("wrk"):
        return _wrk(url, paths, seconds, connections)
    return asyncio.run(_httpx(url, paths, seconds, connections))


def _run_setup(setup: str, args: argparse.Namespace, folder: Path) -> dict[str, object]:
    env = {
        **os.environ, "DAILYPAPERS_DATA_DIR": str(folder / setup),
        "DAILYPAPERS_EMBED_ON_IMPORT": "false", "DAILYPAPERS_RATE_LIMIT_ENABLED": "false",
    }  # fmt: skip
    for key in ("DAILYPAPERS_DATABASE_URL", "DAILYPAPERS_REDIS_URL"):
        env.pop(key, None)
    workers = 1
    if setup == "postgresql":
        _fresh_postgres(args.database_url)
        env.update(DAILYPAPERS_DATABASE_URL=args.database_url, DAILYPAPERS_REDIS_URL=args.redis_url)
        workers = 2
    figures: dict[str, object] = {"workers": workers}
    figures.update(_fill(env, _subset(CORPUS, args.papers, folder)))
    with _server(env, workers) as url:
        for name, paths in _targets(url).items():
            for connections in [int(c) for c in args.connections.split(",")]:
                result = _load(url, paths, args.seconds, connections)
                print(f"  {setup:10} {name:10} c={connections:<3} {result['requests_per_s']:8.1f} "
                      f"req/s  p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                      f"non-2xx {result['non_2xx']}  socket errors {result['socket_errors']}",
                      flush=True)  # fmt: skip
                figures[f"{name}_c{connections}"] = result
    return figures


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dp-bench-load-"))
    figures: dict[str, object] = {"seconds": args.seconds, "papers": args.papers,
                                  "tool": "wrk" if shutil.which("wrk") else "httpx"}  # fmt: skip
    try:
        for setup in args.setups.split(","):
            figures[setup] = _run_setup(setup, args, folder)
        # Other processes competing for the CPU skew every figure: say how busy it was.
        figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
        save("load", figures)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
