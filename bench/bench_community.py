"""Community writes under load: upvotes and comments through the real server, one worker.

    python -m bench community                       # SQLite, 2,000 papers, 200 users
    python -m bench community --requests=4000 --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench_comm

Starts ``dailypapers serve --workers 1`` as a subprocess with rate limits off, then sends
Bearer-authenticated ``POST /api/papers/{id}/upvote`` (random user and paper: mostly new
votes, some repeats) and ``POST /api/papers/{id}/comments`` at concurrency 16 from an httpx
async client. Afterwards it checks that every paper's counter equals its vote rows (exactness
under load) and times a full trending refresh.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import percentile, save

CONCURRENCY = 16

_FILL = """
import datetime as dt, json
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.models import User
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from dailypapers.community.auth import create_api_token, hash_password
s = Settings(); db.upgrade(s)
papers, users = {papers}, {users}
records = [PaperRecord(title=f"Paper {{i}}", abstract="x", arxiv_id=f"2501.{{i:05d}}",
           authors=["A B"], feed_date=dt.date(2025, 1, 1) + dt.timedelta(days=i % 30))
           for i in range(papers)]
tokens = []
with db.session_scope(s) as session:
    upsert_records(session, records)
    shared = hash_password("bench password")
    for i in range(users):
        u = User(username=f"bench{{i}}", email=f"b{{i}}@example.org", password_hash=shared)
        session.add(u); session.flush()
        tokens.append(create_api_token(session, u.id, "bench"))
print(json.dumps(tokens))
"""

_CHECK = """
import json, time
from sqlalchemy import func, select
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.models import Paper, Upvote
from dailypapers.store.trending import refresh_scores
s = Settings()
with db.session_scope(s) as session:
    per_paper = select(Upvote.paper_id, func.count()).group_by(Upvote.paper_id)
    votes = dict(session.execute(per_paper).all())
    counters = session.execute(select(Paper.id, Paper.upvotes))
    wrong = sum(1 for pid, n in counters if n != votes.get(pid, 0))
    t = time.perf_counter(); refresh_scores(session, s); refresh = time.perf_counter() - t
print(json.dumps({"papers_with_wrong_count": wrong, "vote_rows": sum(votes.values()),
                  "trending_refresh_all_s": round(refresh, 3)}))
"""


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench community", description=__doc__)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--requests", type=int, default=3000, help="requests per target")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    return parser.parse_args(argv)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child(env: dict[str, str], code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _load(base: str, tokens: list[str], papers: int, count: int, kind: str) -> dict:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue = list(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            queue.pop()
            pid = f"2501.{random.randrange(papers):05d}"
            headers = {"Authorization": f"Bearer {random.choice(tokens)}"}
            start = time.perf_counter()
            if kind == "upvote":
                r = await client.post(f"{base}/api/papers/{pid}/upvote", headers=headers)
            else:
                r = await client.post(
                    f"{base}/api/papers/{pid}/comments",
                    headers=headers,
                    json={"text": "A comment with https://example.org"},
                )
            latencies.append((time.perf_counter() - start) * 1000)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - start
    return {
        f"{kind}_rps": round(count / seconds),
        f"{kind}_p50_ms": round(percentile(latencies, 50), 1),
        f"{kind}_p99_ms": round(percentile(latencies, 99), 1),
        f"{kind}_status": codes,
    }


def _wait(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within 60 s")


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dp-bench-community-"))
    env = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(folder),
        "DAILYPAPERS_EMBED_ON_IMPORT": "false",
        "DAILYPAPERS_RATE_LIMIT_ENABLED": "false",
        "DAILYPAPERS_SECRET_KEY": "bench-secret",
    }
    if args.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = args.database_url
    tokens = _child(env, _FILL.format(papers=args.papers, users=args.users))
    assert isinstance(tokens, list)
    port = _port()
    cli = str(Path(sys.executable).parent / "dailypapers")
    proc = subprocess.Popen(
        [cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    figures: dict = {
        "database": "postgresql" if args.database_url else "sqlite",
        "papers": args.papers,
        "users": args.users,
        "concurrency": CONCURRENCY,
    }
    try:
        _wait(base, proc)
        for kind in ("upvote", "comment"):
            figures.update(asyncio.run(_load(base, tokens, args.papers, args.requests, kind)))
    finally:
        proc.terminate()
        proc.wait(10)
    figures.update(_child(env, _CHECK))
    save("community", figures)
    shutil.rmtree(folder, ignore_errors=True)
