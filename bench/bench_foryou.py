"""``GET /api/me/for-you`` through HTTP, one uvicorn worker, on the 74k corpus.

    python -m bench foryou                          # 74,728 papers, SQLite, 200 requests
    python -m bench foryou --papers=20000 --requests=50 --library=300
    python -m bench foryou --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench_fy

Fills a fresh database with the corpus, its precomputed MiniLM vectors and term counts (as
``index rebuild`` stores them), creates a user with ``--library`` positive papers (upvotes)
and ``--negatives`` "not interested" marks, starts
``dailypapers serve --workers 1`` and asks for the user's ranking of the 8 latest weeks in
turn, one request at a time. Goal (issue 11): p50 ≤ 30 ms, p99 ≤ 100 ms for 1,000 library
papers and 200 negatives.

Figures, in milliseconds:

- ``ready_after_s``: how long after ``/healthz`` the server said ready (``/readyz``: search
  index and the "For you" paper data of the pool and the latest 8 weeks prepared);
- ``first_request_ms``: the user's first request (the model is fitted);
- ``p50_ms``/``p99_ms``: every later request, the first view of each week included;
  ``warm_*``: the requests after each week was seen once; ``first_view_*``: the first view of
  each week (the model is memoised, the window is scored);
- ``cold_*``: the first request after a signal change (``--cold`` times a "not interested"
  mark is added or withdrawn through the API, then the ranking asked for): the model is fitted
  again;
- ``reference_*``: ``/api/daily_papers?week=`` for the same weeks in the same run, a plain
  feed read on the same server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.bench_api import CORPUS, _fill, _free_port, _fresh_postgres, _server, _subset
from bench.common import percentile, save

VECTORS = CORPUS.with_name("arxiv-cs-74k.minilm.f16.npy")


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench foryou", description=__doc__)
    parser.add_argument("--papers", type=int, default=0, help="import only the first N (0: all)")
    parser.add_argument("--requests", type=int, default=200, help="requests to time")
    parser.add_argument("--library", type=int, default=1000, help="the user's positive papers")
    parser.add_argument("--negatives", type=int, default=200, help="'not interested' marks")
    parser.add_argument("--cold", type=int, default=10, help="requests after a signal change")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


_USER_CODE = """
import json, sys
import numpy as np
from sqlalchemy import insert, select
from dailypapers.community.auth import create_api_token
from dailypapers.community.users import create_user
from dailypapers.config import Settings
from dailypapers.foryou.terms import store_term_counts
from dailypapers.search.indexer import store_vectors
from dailypapers.store import db
from dailypapers.store.models import Paper, Upvote
from dailypapers.store.models_foryou import NotInterested

s = Settings(); n_lib, n_neg = int(sys.argv[1]), int(sys.argv[2])
ids = open(sys.argv[3] + ".ids.txt").read().split()
with db.session_scope(s) as session:
    known = {p for p in session.scalars(select(Paper.id))}
rows = [i for i, pid in enumerate(ids) if pid in known]
mat = np.load(sys.argv[3], mmap_mode="r")
for at in range(0, len(rows), 5000):
    part = rows[at:at + 5000]
    store_vectors(s, {ids[i]: "" for i in part}, np.asarray(mat[part]))
store_term_counts(s)  # as `index rebuild` stores them beside the vectors
rng = np.random.default_rng(0)
chosen = [ids[i] for i in rng.choice(rows, n_lib + n_neg, replace=False)]
with db.session_scope(s) as session:
    user = create_user(session, "bench", "bench@example.org", "correct horse battery")
    token = create_api_token(session, user.id, "bench")
    if n_lib:
        session.execute(insert(Upvote),
                        [{"user_id": user.id, "paper_id": p} for p in chosen[:n_lib]])
    if n_neg:
        session.execute(insert(NotInterested),
                        [{"user_id": user.id, "paper_id": p} for p in chosen[n_lib:]])
print(json.dumps({"token": token, "vectors": len(rows)}))
"""


def _user(env: dict[str, str], library: int, negatives: int) -> dict:
    cmd = [sys.executable, "-c", _USER_CODE, str(library), str(negatives), str(VECTORS)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _weeks(url: str) -> list[str]:
    items = httpx.get(url + "/api/daily_papers", params={"limit": 100}).json()
    last = max(i["publishedAt"][:10] for i in items)
    day = dt.date.fromisoformat(last)
    weeks = [day - dt.timedelta(weeks=k) for k in range(8)]
    return ["{}-W{:02d}".format(*w.isocalendar()[:2]) for w in weeks]


def _timed(client: httpx.Client, path: str, method: str = "GET", **kw: object) -> float:
    start = time.perf_counter()
    client.request(method, path, **kw).raise_for_status()  # type: ignore[arg-type]
    return (time.perf_counter() - start) * 1000


def _summary(name: str, values: list[float]) -> dict[str, float]:
    return {f"{name}_p50_ms": round(percentile(values, 50), 1),
            f"{name}_p99_ms": round(percentile(values, 99), 1),
            f"{name}_max_ms": round(max(values), 1), f"{name}_n": len(values)}  # fmt: skip


def _measure(url: str, token: str, args: argparse.Namespace) -> dict[str, object]:
    figures: dict[str, object] = {}
    headers = {"Authorization": f"Bearer {token}"}
    weeks = _weeks(url)
    paths = [f"/api/me/for-you?week={w}&limit=50" for w in weeks]
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        started = time.perf_counter()
        while client.get("/readyz").status_code != 200:  # search and "For you" warm-ups
            time.sleep(0.5)
        figures["ready_after_s"] = round(time.perf_counter() - started, 1)
        figures["first_request_ms"] = round(_timed(client, paths[0]), 1)
        seen, every, warm, first_view = {paths[0]}, [], [], []
        for i in range(args.requests):
            path = paths[(i + 1) % len(paths)]
            took = _timed(client, path)
            every.append(took)
            (warm if path in seen else first_view).append(took)
            seen.add(path)
        cold = []
        victim = client.get(paths[0]).json()[-1]["paper"]["id"]
        for k in range(args.cold):  # each toggle changes the signal set: the model is refitted
            if k % 2 == 0:
                client.post("/api/me/not-interested", json={"paper_id": victim}).raise_for_status()
            else:
                client.delete(f"/api/me/not-interested/{victim}").raise_for_status()
            cold.append(_timed(client, paths[k % len(paths)]))
        reference = [_timed(client, f"/api/daily_papers?week={weeks[i % len(weeks)]}&limit=50")
                     for i in range(args.requests)]  # fmt: skip
    figures |= {"p50_ms": round(percentile(every, 50), 1),
                "p99_ms": round(percentile(every, 99), 1)}  # fmt: skip
    for name, values in (("warm", warm), ("first_view", first_view), ("cold", cold),
                         ("reference", reference)):  # fmt: skip
        if values:
            figures |= _summary(name, values)
    return figures


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dp-bench-foryou-"))
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(folder / "data"),
           "DAILYPAPERS_EMBED_ON_IMPORT": "false"}  # fmt: skip
    if args.database_url:
        _fresh_postgres(args.database_url)
        env["DAILYPAPERS_DATABASE_URL"] = args.database_url
    try:
        figures: dict[str, object] = {"database": "postgresql" if args.database_url else "sqlite"}
        figures.update(_fill(env, _subset(CORPUS, args.papers, folder)))
        made = _user(env, args.library, args.negatives)
        figures |= {"vectors": made["vectors"], "library": args.library,
                    "negatives": args.negatives}  # fmt: skip
        with _server(env, _free_port()) as url:
            figures |= _measure(url, made["token"], args)
        figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
        save("foryou" if not args.database_url else "foryou_postgresql", figures)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
