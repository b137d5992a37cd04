"""Channel benchmark: follow alerts for one ingestion run, and daily digests to many channels,
posted to a local HTTP receiver (its own process) that answers as Mattermost and webhooks do.

    python -m bench channels                                  # 1,000 follows, 5,000 channels
    python -m bench channels --channels=500 --follows=300     # a small run
    python -m bench channels --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench

Alerts: 500 papers of the 74k corpus arrive in one run (one alert batch); 200 users follow
1,000 things between them (authors, categories and saved searches drawn from those papers),
each user has one alert channel. Figures: time to cut the batch and match every follow, time
to send, messages. Digests: N channels (half signed webhooks, half Slack-compatible through
apprise's Mattermost plugin) each get the day's digest. Figures: messages/s, total time, peak
memory. Run on a shared, busy machine: read the figures as orders of magnitude.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import multiprocessing as mp
import random
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import delete, func, select

from bench.common import SHARED, peak_rss_mb, save
from dailypapers.channels import Options, add_channel, send_alerts, send_digests
from dailypapers.channels.follows import Follow
from dailypapers.channels.run import cut_batch
from dailypapers.community.auth import hash_password
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.models import User
from dailypapers.store.models_channels import AlertBatch, Channel, ChannelSend
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench channels")
    parser.add_argument("--channels", type=int, default=5000)
    parser.add_argument("--follows", type=int, default=1000)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dailypapers-bench-channels"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def _serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Ok).serve_forever()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _corpus(n: int, skip: int = 0) -> list[dict]:
    rows: list[dict] = []
    with gzip.open(CORPUS, "rt") as fh:
        for i, line in enumerate(fh):
            if i >= skip:
                rows.append(json.loads(line))
            if len(rows) >= n:
                break
    return rows


def _records(rows: list[dict], day: dt.date) -> list[PaperRecord]:
    return [PaperRecord(title=r["title"], abstract=r["abstract"], arxiv_id=r["id"],
                        authors=r["authors"], categories=r["categories"], published_on=day,
                        feed_date=day, upvotes=len(r["title"]) % 17) for r in rows]  # fmt: skip


def _users(settings: Settings, count: int) -> list[int]:
    shared = hash_password("bench password")
    with db.session_scope(settings) as session:
        users = [User(username=f"b{i}", email=f"b{i}@example.org", password_hash=shared)
                 for i in range(count)]  # fmt: skip
        session.add_all(users)
        session.flush()
        return [u.id for u in users]


def _follows(rows: list[dict], users: list[int], total: int, rng: random.Random) -> dict:
    authors = sorted({a for r in rows for a in r["authors"]})
    cats = sorted({c for r in rows for c in r["categories"]})
    words = sorted({w.lower() for r in rows for w in r["title"].split() if len(w) > 7})
    by_user: dict[int, list[Follow]] = {u: [] for u in users}
    for n in range(total):
        kind = ("author", "author", "category", "search")[n % 4]
        value = {"author": lambda: rng.choice(authors), "category": lambda: rng.choice(cats),
                 "search": lambda: f"{rng.choice(words)} {rng.choice(words)}"}[kind]()  # fmt: skip
        by_user[users[n % len(users)]].append(Follow(kind, value))
    return by_user


def _channels(settings: Settings, users: list[int], per_user: int, port: int,
              digest: str, alerts: bool) -> int:  # fmt: skip
    made = 0
    with db.session_scope(settings) as session:
        for i, uid in enumerate(users):
            for j in range(per_user):
                url = (f"http://127.0.0.1:{port}/webhook/u{uid}c{j}" if (i + j) % 2 == 0
                       else f"mmost://127.0.0.1:{port}/u{uid}c{j}")  # fmt: skip
                add_channel(session, settings, uid, url, digest=digest, alerts=alerts)
                made += 1
    return made


def _reset(settings: Settings) -> None:
    db.upgrade(settings)
    with db.session_scope(settings) as session:
        for table in (ChannelSend, Channel, AlertBatch):
            session.execute(delete(table))
        session.execute(delete(User).where(User.username.like("b%")))


def main(argv: list[str]) -> None:
    args = _args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url,
                        channels_allow_private=True, channel_workers=args.workers,
                        embed_on_import=False, base_url="https://papers.example")  # fmt: skip
    _reset(settings)
    rng = random.Random(args.seed)
    port = _free_port()
    server = mp.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    time.sleep(0.3)
    figures: dict[str, object] = {"database": "postgresql" if args.database_url else "sqlite"}
    try:
        figures |= _bench_alerts(settings, args, rng, port)
        figures |= _bench_digests(settings, args, port)
    finally:
        server.terminate()
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    save("channels", figures)


def _bench_alerts(settings: Settings, args: argparse.Namespace, rng: random.Random,
                  port: int) -> dict[str, object]:  # fmt: skip
    users = _users(settings, 200)
    _channels(settings, users, 1, port, "none", True)
    rows = _corpus(args.papers)
    cut_batch(settings)  # an empty database: no batch; the next one holds exactly the new papers
    day = dt.date(2026, 3, 18)
    with db.session_scope(settings) as session:
        upsert_records(session, _records(rows, day))
    by_user = _follows(rows, users, args.follows, rng)
    opts = Options(follows=lambda session, ids: {u: by_user.get(u, []) for u in ids})
    start = time.perf_counter()
    summary = send_alerts(settings, opts)
    took = time.perf_counter() - start
    return {"alert_papers": len(rows), "alert_follows": args.follows, "alert_channels": len(users),
            "alert_messages": summary.sent, "alert_failed": summary.failed + summary.deferred,
            "alert_run_s": round(took, 2)}  # fmt: skip


def _bench_digests(settings: Settings, args: argparse.Namespace, port: int) -> dict[str, object]:
    per_user = 5
    users = _users_more(settings, args.channels // per_user)
    start = time.perf_counter()
    made = _channels(settings, users, per_user, port, "daily", False)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    summary = send_digests(settings, ("daily",), dt.date(2026, 3, 18), Options())
    took = time.perf_counter() - start
    with db.session_scope(settings) as session:
        logged = session.scalar(select(func.count()).where(ChannelSend.status == "sent"))
    return {"digest_channels": made, "digest_sent": summary.sent,
            "digest_failed": summary.failed + summary.deferred, "digest_send_log_rows": logged,
            "digest_run_s": round(took, 2), "digest_per_s": round(summary.sent / took, 1),
            "channel_setup_s": round(setup, 2), "workers": args.workers}  # fmt: skip


def _users_more(settings: Settings, count: int) -> list[int]:
    shared = hash_password("bench password")
    with db.session_scope(settings) as session:
        users = [User(username=f"bd{i}", email=f"bd{i}@example.org", password_hash=shared)
                 for i in range(count)]  # fmt: skip
        session.add_all(users)
        session.flush()
        return [u.id for u in users]
