"""Digest benchmark: N confirmed subscribers with 1-5 topics each over the 74k corpus, every
digest composed, rendered and sent over SMTP to a local aiosmtpd (in its own process).

    python -m bench digest                       # 10,000 subscribers, SQLite
    python -m bench digest --subscribers=2000    # smaller
    python -m bench digest --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench
    python -m bench digest --linked=2000         # issue 11: 2,000 linked accounts, "For you"

The corpus is imported once into ``--data-dir`` (default /tmp/dailypapers-bench-digest) and
reused. The corpus has no upvotes, so a seeded fifth of the digest window's papers gets some
(as community votes would), which gives every digest a trending section. Topics are drawn
from the window's own categories, authors and frequent title words, so most match.
Figures: digests/s, total time of the send phase, peak memory of this process, and the CPU
seconds of the send phase: this (composing) process, and its ended children (the "For you"
worker processes and the SMTP server). On two cores a linked run is CPU-bound, so these say
where its time goes.

``--linked=N`` links the first N subscribers to accounts with 50-500 saved papers each (drawn
from one to three primary categories, saved over the past year), stores the corpus's
precomputed MiniLM vectors and the papers' term counts (``foryou.terms``, as ``index rebuild``
stores them), and so gives those digests a "For you" section first (issue 11:
10,000 subscribers, 2,000 linked, under 2 minutes). It also reports how many linked digests
got a section and the time the composing process spent choosing their papers: with 50 or
more linked digests their windows are ranked ahead in two worker processes while the other
digests are composed (``foryou.digest``), so that is mostly waiting for the workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import multiprocessing as mp
import os
import random
import resource
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, insert, select, update

from bench.common import SHARED, peak_rss_mb, save
from dailypapers.config import Settings
from dailypapers.foryou.digest import PersonalPicks
from dailypapers.store import db
from dailypapers.store.models import (
    DigestPaper,
    DigestSend,
    FeedEntry,
    Paper,
    PaperVector,
    Subscription,
    User,
)
from dailypapers.store.models_library import SavedPaper, SubscriptionLink

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
VECTORS = CORPUS.with_name("arxiv-cs-74k.minilm.f16.npy")
LINKED_NAME = "bench-linked-"
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "based", "by", "for", "from", "in", "into", "is", "of",
    "on", "or", "the", "to", "with", "via", "using", "towards", "through", "its", "their", "our",
    "we", "can", "than", "more", "new",
))  # fmt: skip


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench digest")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/dailypapers-bench-digest"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--connections", type=int, default=2, help="SMTP connections")
    parser.add_argument("--linked", type=int, default=0, help="subscribers linked to accounts")
    return parser.parse_args(argv)


def _ensure_corpus(settings: Settings) -> None:
    db.ensure_schema(settings)
    with db.session_scope(settings) as s:
        if s.scalar(select(func.count()).select_from(Paper)) >= 70_000:
            return
    print("importing the 74k corpus (once) ...", flush=True)
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(settings.data_dir),
           "DAILYPAPERS_EMBED_ON_IMPORT": "false", "DAILYPAPERS_SECRET_KEY": "bench"}  # fmt: skip
    if settings.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = settings.database_url
    code = "from dailypapers.cli.main import main; main()"
    subprocess.run([sys.executable, "-c", code, "import", str(CORPUS)], env=env, check=True)


def _seed_upvotes(settings: Settings, as_of: dt.date, rng: random.Random) -> None:
    start = as_of - dt.timedelta(days=14)
    with db.session_scope(settings) as s:
        ids = list(s.scalars(select(FeedEntry.paper_id).where(FeedEntry.feed_date >= start)))
        s.execute(update(Paper).where(Paper.id.in_(ids)).values(upvotes=0))
        voted = [{"pid": pid, "v": rng.randint(1, 80)} for pid in ids if rng.random() < 0.2]
        for row in voted:
            s.execute(update(Paper).where(Paper.id == row["pid"]).values(upvotes=row["v"]))


def _topic_pool(settings: Settings, as_of: dt.date) -> list[str]:
    start = as_of - dt.timedelta(days=7)
    with db.session_scope(settings) as s:
        rows = s.execute(
            select(Paper.title, Paper.authors, Paper.categories)
            .join(FeedEntry, FeedEntry.paper_id == Paper.id)
            .where(FeedEntry.feed_date >= start, FeedEntry.feed_date <= as_of)
        ).all()
    cats, authors, words, pairs = Counter(), Counter(), Counter(), Counter()
    for title, names, categories in rows:
        cats.update(categories or [])
        authors.update(names or [])
        tokens = [w for w in title.lower().replace(":", " ").split() if w.isalpha()]
        words.update(w for w in tokens if w not in _STOP and len(w) > 4)
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(tokens)
                     if a not in _STOP and b not in _STOP)  # fmt: skip
    return ([f"category:{c}" for c, _ in cats.most_common(30)]
            + [f"author:{a}" for a, _ in authors.most_common(300)]
            + [w for w, _ in words.most_common(150)]
            + [f'"{p}"' for p, _ in pairs.most_common(100)])  # fmt: skip


def _reset_subscribers(settings: Settings, n: int, pool: list[str], rng: random.Random) -> None:
    with db.session_scope(settings) as s:
        for table in (DigestPaper, DigestSend, Subscription):
            s.execute(delete(table))
        rows = [{"email": f"reader{i:05d}@bench.example", "status": "confirmed",
                 "frequency": "weekly" if rng.random() < 0.3 else "daily",
                 "topics": rng.sample(pool, rng.randint(1, 5)), "token_version": 0}
                for i in range(n)]  # fmt: skip
        s.execute(insert(Subscription), rows)


def _ensure_vectors(settings: Settings) -> None:
    from dailypapers.search.indexer import store_vectors

    with db.session_scope(settings) as s:
        if s.scalar(select(func.count()).select_from(PaperVector)) >= 70_000:
            return
        known = set(s.scalars(select(Paper.id)))
    print("storing the corpus's precomputed vectors (once) ...", flush=True)
    ids = Path(str(VECTORS) + ".ids.txt").read_text().split()
    rows = [i for i, pid in enumerate(ids) if pid in known]
    matrix = np.load(VECTORS, mmap_mode="r")
    for at in range(0, len(rows), 5000):
        part = rows[at : at + 5000]
        store_vectors(settings, {ids[i]: "" for i in part}, np.asarray(matrix[part]))


def _ensure_term_counts(settings: Settings) -> None:
    """Store the papers' term counts as ``index rebuild`` (or import with embedding) would:
    once, and timed apart from the run."""
    from dailypapers.foryou.terms import store_term_counts

    started = time.perf_counter()
    stored = store_term_counts(settings)
    if stored:
        print(f"stored {stored} papers' term counts (once) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip


def _link_accounts(settings: Settings, n: int, as_of: dt.date, rng: random.Random) -> int:
    """Accounts with 50-500 saved papers from 1-3 categories, linked to the first ``n``
    subscribers. Returns the number of saved papers."""
    with db.session_scope(settings) as s:
        old = select(User.id).where(User.username.like(LINKED_NAME + "%"))
        s.execute(delete(SavedPaper).where(SavedPaper.user_id.in_(old)))
        s.execute(delete(SubscriptionLink).where(SubscriptionLink.user_id.in_(old)))
        s.execute(delete(User).where(User.username.like(LINKED_NAME + "%")))
        by_category: dict[str, list[str]] = {}
        for pid, cat in s.execute(select(Paper.id, Paper.primary_category)):
            by_category.setdefault(cat or "", []).append(pid)
        big = sorted(c for c, ids in by_category.items() if len(ids) >= 500)
        subs = list(s.scalars(select(Subscription.id).order_by(Subscription.id).limit(n)))
        s.execute(insert(User), [{"username": f"{LINKED_NAME}{i:05d}",
                                  "email": f"{LINKED_NAME}{i:05d}@bench.example",
                                  "password_hash": "!"} for i in range(len(subs))])  # fmt: skip
        users = list(s.scalars(select(User.id).where(User.username.like(LINKED_NAME + "%"))
                               .order_by(User.username)))  # fmt: skip
        saved = []
        start = dt.datetime.combine(as_of, dt.time()) - dt.timedelta(days=365)
        for uid in users:
            pool = [p for c in rng.sample(big, rng.randint(1, 3)) for p in by_category[c]]
            for pid in rng.sample(pool, min(len(pool), rng.randint(50, 500))):
                at = start + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
                saved.append({"user_id": uid, "paper_id": pid, "saved_at": at, "updated_at": at})
        for at in range(0, len(saved), 20_000):
            s.execute(insert(SavedPaper), saved[at : at + 20_000])
        links = [{"user_id": u, "subscription_id": sub} for u, sub in zip(users, subs, strict=True)]
        s.execute(insert(SubscriptionLink), links)
    return len(saved)


class _PickTimer:
    """Counts and times ``PersonalPicks.picks`` during the run (the "For you" share)."""

    def __init__(self) -> None:
        self.calls = self.sections = 0
        self.seconds = self.cpu_seconds = 0.0
        self._original = PersonalPicks.picks

    def __enter__(self) -> _PickTimer:
        timer, original = self, self._original

        def picks(self: PersonalPicks, *args: object, **kw: object) -> list[str]:
            started, cpu = time.perf_counter(), time.thread_time()
            out = original(self, *args, **kw)  # type: ignore[arg-type]
            timer.seconds += time.perf_counter() - started
            timer.cpu_seconds += time.thread_time() - cpu
            timer.calls += 1
            timer.sections += bool(out)
            return out

        PersonalPicks.picks = picks  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        PersonalPicks.picks = self._original  # type: ignore[method-assign]


def _smtp_process(port: int, count, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its ended children (workers, the SMTP server)."""
    own, ended = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, ended.ru_utime + ended.ru_stime


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str]) -> None:
    args = _args(argv)
    from dailypapers.digest.send import send_digests

    port = _free_port()
    settings = Settings(data_dir=args.data_dir, database_url=args.database_url,
                        secret_key="bench-secret", embed_on_import=False, smtp_port=port,
                        mail_rate_per_minute=10**9, mail_retry_backoff_seconds=0.1,
                        mail_connections=args.connections)  # fmt: skip
    _ensure_corpus(settings)
    with db.session_scope(settings) as s:
        as_of = s.scalar(select(func.max(FeedEntry.feed_date)))
    rng = random.Random(args.seed)
    _seed_upvotes(settings, as_of, rng)
    pool = _topic_pool(settings, as_of)
    _reset_subscribers(settings, args.subscribers, pool, rng)
    linked_papers = 0
    if args.linked:
        _ensure_vectors(settings)
        _ensure_term_counts(settings)
        linked_papers = _link_accounts(settings, args.linked, as_of, rng)
    count, ready, stop = mp.Value("i", 0), mp.Event(), mp.Event()
    server = mp.Process(target=_smtp_process, args=(port, count, ready, stop), daemon=True)
    server.start()
    ready.wait(30)
    started, cpu_before = time.perf_counter(), _cpu_seconds()
    with _PickTimer() as timer:
        summary = send_digests(settings, as_of=as_of)
    elapsed = time.perf_counter() - started
    stop.set()
    server.join(10)
    cpu = [after - before for after, before in zip(_cpu_seconds(), cpu_before, strict=True)]
    with db.session_scope(settings) as s:
        papers = s.scalar(select(func.count()).select_from(DigestPaper))
    save("digest" if settings.is_sqlite else "digest_postgresql", {
        "backend": "sqlite" if settings.is_sqlite else "postgresql",
        "subscribers": args.subscribers, "smtp_connections": args.connections,
        "as_of": str(as_of), "topic_pool": len(pool),
        "summary": summary.line(), "received_by_smtp": count.value,
        "papers_mailed": papers, "papers_per_digest": round(papers / max(1, summary.sent), 1),
        "total_seconds": round(elapsed, 1),
        "digests_per_second": round(summary.sent / elapsed, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cpu_seconds_composing_process": round(cpu[0], 1),
        "cpu_seconds_workers_and_smtp_server": round(cpu[1], 1),
        "goal_10k_under_120s": args.subscribers >= 10_000 and elapsed < 120,
        "linked": args.linked, "linked_saved_papers": linked_papers,
        "for_you_picks_calls": timer.calls, "for_you_sections": timer.sections,
        "for_you_seconds": round(timer.seconds, 1),
        "for_you_cpu_seconds_composing": round(timer.cpu_seconds, 1),
        "for_you_ms_per_linked_digest": round(1000 * timer.seconds / max(1, timer.calls), 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    })  # fmt: skip
