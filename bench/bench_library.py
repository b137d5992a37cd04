"""The library's costs: a list page for a heavy user against the anonymous page, and imports.

    python -m bench library                             # small: 20k papers, 2k saved, 10k read
    python -m bench library --papers=60000 --saved=10000 --read=50000   # the issue's sizes
    python -m bench library --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench_lib

1. A feed day of 300 papers (``/date/…``, page size 300) requested alternately by an anonymous
   browser and by a signed-in user whose library holds ``--saved`` papers (some on that day)
   and who has read ``--read`` papers: queries per page (counted on the engine) and p50/p90 of
   each, side by side in one run, through the real app in-process (FastAPI TestClient).
2. Import of a ``--entries``-entry BibTeX file (default 5,000; arXiv ids, half of them in the
   database, the rest pending, no network): parse + match + save, in seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import percentile, save

DAY = dt.date(2025, 3, 18)


def _fill(settings, papers: int, saved: int, read: int) -> int:
    from sqlalchemy import insert

    from dailypapers.community.users import create_user
    from dailypapers.store import db
    from dailypapers.store.models_library import ReadMark, SavedPaper
    from dailypapers.store.papers import upsert_records
    from dailypapers.store.records import PaperRecord

    records = [
        PaperRecord(title=f"Benchmark paper {i} on topic {i % 97}", abstract="An abstract.",
                    arxiv_id=f"25{i // 90000:02d}.{i % 90000 + 10000:05d}", authors=["A B", "C D"],
                    categories=["cs.LG"], feed_date=DAY - dt.timedelta(days=(i // 300)))
        for i in range(papers)
    ]  # fmt: skip
    with db.session_scope(settings) as session:
        for start in range(0, len(records), 5000):
            upsert_records(session, records[start : start + 5000])
        user = create_user(session, "heavy", "heavy@example.org", "bench password 1")
        uid = user.id
        ids = [r.arxiv_id for r in records]
        rng = random.Random(7)
        now = dt.datetime(2025, 3, 1)
        saved_ids = rng.sample(ids, min(saved, len(ids)))
        read_ids = rng.sample(ids, min(read, len(ids)))
        for chunk in range(0, len(saved_ids), 5000):
            session.execute(insert(SavedPaper), [
                {"user_id": uid, "paper_id": p, "note": "", "note_format": "markdown",
                 "source": "import", "saved_at": now, "updated_at": now}
                for p in saved_ids[chunk : chunk + 5000]])  # fmt: skip
        for chunk in range(0, len(read_ids), 5000):
            session.execute(insert(ReadMark), [
                {"user_id": uid, "paper_id": p, "source": "import", "read_at": now}
                for p in read_ids[chunk : chunk + 5000]])  # fmt: skip
    return uid


def _page_figures(settings, rounds: int) -> dict:
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from dailypapers.store import db
    from dailypapers.web.app import create_app

    app = create_app(settings)
    anon, heavy = TestClient(app), TestClient(app)
    page = heavy.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    heavy.post("/login", data={"login": "heavy", "password": "bench password 1",
                               "csrf_token": token})  # fmt: skip
    url = f"/date/{DAY.isoformat()}"
    engine = db.get_engine(settings)
    counts: dict[str, int] = {}
    times: dict[str, list[float]] = {"anonymous": [], "signed_in": []}
    for i in range(rounds + 2):
        for name, client in (("anonymous", anon), ("signed_in", heavy)):
            seen: list[str] = []

            def record(*args: object, _seen: list[str] = seen) -> None:
                _seen.append(str(args[2]))

            event.listen(engine, "before_cursor_execute", record)
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
            event.remove(engine, "before_cursor_execute", record)
            assert response.status_code == 200 and response.text.count('class="paper-item') >= 300
            if i >= 2:  # two warm-up rounds (caches, templates)
                times[name].append(elapsed * 1000)
                counts[name] = len(seen)
    assert "save-button is-on" in heavy.get(url).text
    p50 = {k: percentile(v, 50) for k, v in times.items()}
    return {
        "queries_anonymous": counts["anonymous"], "queries_signed_in": counts["signed_in"],
        "p50_ms_anonymous": round(p50["anonymous"], 1), "p50_ms_signed_in":
        round(p50["signed_in"], 1), "p90_ms_anonymous": round(percentile(times["anonymous"], 90),
        1), "p90_ms_signed_in": round(percentile(times["signed_in"], 90), 1),
        "p50_ratio": round(p50["signed_in"] / p50["anonymous"], 2),
    }  # fmt: skip


def _import_figures(settings, uid: int, entries: int, papers: int) -> dict:
    from dailypapers.library.importer import import_references
    from dailypapers.store import db

    parts = []
    for i in range(entries):
        n = i * 2 if i % 2 == 0 else papers + i  # half in the database, half pending
        aid = f"25{n // 90000:02d}.{n % 90000 + 10000:05d}"
        parts.append(
            f"@article{{key{i},\n  title = {{Benchmark paper {n} on {{T}}opic}},\n"
            f"  author = {{M{{\\\"u}}ller, J{{\\'o}}rg and Doe, Jane}},\n"
            f"  journal = {{arXiv preprint arXiv:{aid}}},\n  year = {{2025}},\n}}\n"
        )
    data = "\n".join(parts).encode()
    start = time.perf_counter()
    with db.session_scope(settings) as session:
        report = import_references(session, settings, uid, data, "bench.bib",
                                   collection="Imported")  # fmt: skip
    seconds = time.perf_counter() - start
    return {"import_entries": entries, "import_seconds": round(seconds, 2),
            "import_counts": report.counts, "import_bytes": len(data)}  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench library")
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--saved", type=int, default=2_000)
    parser.add_argument("--read", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("DAILYPAPERS_API_CACHE_SECONDS", "60")
    from dailypapers.config import Settings
    from dailypapers.store import db

    folder = Path(tempfile.mkdtemp(prefix="bench-library-"))
    settings = Settings(data_dir=folder, database_url=args.database_url, page_size=300,
                        secret_key="bench-secret-key-not-for-production", embed_on_import=False,
                        rate_limit_enabled=False)  # fmt: skip
    db.upgrade(settings)
    start = time.perf_counter()
    uid = _fill(settings, args.papers, args.saved, args.read)
    figures = {"papers": args.papers, "saved": args.saved, "read": args.read,
               "fill_seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
    figures |= _page_figures(settings, args.rounds)
    figures |= _import_figures(settings, uid, args.entries, args.papers)
    save("library", figures)
