"""Search through the HTTP API at 1,000,000 papers in a real SQLite data folder.

    python -m bench search_million                 # build once (resumable), then measure
    python -m bench search_million --dir=/tmp/x    # another work folder

The 1M papers are synthetic: each takes a real paper's title, abstract, authors, categories
and feed date from the 74,728-paper corpus (resampled in order, ~13 copies each; copies
after the first get the id ``27DD.NNNNN`` made of their number, so ids stay unique and
arXiv-shaped), and its vector is the real precomputed all-MiniLM-L6-v2 vector plus
Gaussian noise (sigma 0.02 per dimension), renormalised. Papers are written with the
project's ``upsert_records`` (batches of 5,000, one transaction each) and vectors with
``indexer.store_vectors`` (the path ``import_vectors`` uses after its model check, which
perturbed vectors fail by design: cosine ~0.93 < 0.98), then the index is built by
``dailypapers index rebuild --no-embed``.
A second run reuses the folder; an interrupted build resumes at the last finished batch.

Goals (issue 3): hybrid through the API p50 <= 40 ms / p99 <= 120 ms at 1M; serving 1M
papers in <= 4 GB.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.bench_search import CORPUS, VECTORS, _free_port, _queries, _timed
from bench.common import save

N = 1_000_000
BATCH = 5_000
SIGMA = 0.02
GOALS = {"hybrid_api": (40.0, 120.0)}
MEMORY_GOAL_MB = 4096


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench search_million")
    parser.add_argument("--dir", default="/tmp/dp-bench-million", help="work folder (reused)")
    parser.add_argument("--papers", type=int, default=N)
    parser.add_argument("--queries", type=int, default=200)
    return parser.parse_args(argv)


def _corpus() -> tuple[list[dict], list]:
    from dailypapers.ingest.arxiv_jsonl import arxiv_entry

    rows, records = [], []
    with gzip.open(CORPUS, "rt") as fh:
        for number, line in enumerate(fh, 1):
            obj = json.loads(line)
            rows.append(obj)
            records.append(arxiv_entry(number, obj).record)
    return rows, records


def _synthetic_id(records: list, g: int) -> str:
    """Paper ``g``: copy 0 keeps the real id, later copies get ``27DD.NNNNN`` (``g`` itself)."""
    m = len(records)
    if g < m:
        return records[g].arxiv_id
    return f"{2700 + g // 100_000}.{g % 100_000:05d}"


def _count(db_file: Path, table: str) -> int:
    import sqlite3

    if not db_file.exists():
        return 0
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _fill(folder: Path, total: int, records: list, rows: list[dict]) -> float:
    """Write ``total`` synthetic papers and their perturbed vectors; resumes by batch."""
    from dailypapers.config import Settings
    from dailypapers.search.contract import paper_text
    from dailypapers.search.indexer import store_vectors
    from dailypapers.store import db
    from dailypapers.store.papers import upsert_records

    settings = Settings()
    db.upgrade(settings)
    db_file = folder / "data" / "dailypapers.sqlite3"
    ids = (VECTORS.parent / (VECTORS.name + ".ids.txt")).read_text().split()
    row_of = {pid: i for i, pid in enumerate(ids)}
    base = np.load(VECTORS).astype(np.float32)
    vec_rows = np.array([row_of[r["id"]] for r in rows])
    done = min(_count(db_file, "papers"), _count(db_file, "paper_vectors"))
    start = (done // BATCH) * BATCH
    if start:
        print(f"  resuming the fill at paper {start:,}", flush=True)
    m = len(records)
    t0 = time.perf_counter()
    for lo in range(start, total, BATCH):
        hi = min(total, lo + BATCH)
        batch = []
        for g in range(lo, hi):
            rec = records[g % m]
            batch.append(
                dataclasses.replace(
                    rec,
                    arxiv_id=_synthetic_id(records, g),
                    authors=list(rec.authors),
                    categories=list(rec.categories),
                )
            )
        with db.session_scope(settings) as session:
            upsert_records(session, batch)
        rng = np.random.default_rng([7, lo])
        vecs = base[vec_rows[np.arange(lo, hi) % m]]
        vecs = vecs + rng.normal(0, SIGMA, vecs.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        texts = {r.id: paper_text(r.title, r.abstract) for r in batch}
        store_vectors(settings, texts, vecs)
        elapsed = time.perf_counter() - t0
        rate = (hi - start) / elapsed
        print(f"  fill {hi:>9,}/{total:,}  {rate:,.0f} papers/s  eta {(total - hi) / rate:,.0f} s",
              flush=True)  # fmt: skip
    return time.perf_counter() - t0


def _rebuild(env: dict[str, str]) -> dict:
    """``dailypapers index rebuild --no-embed`` as a child; its wall time and peak memory."""
    exe = Path(sys.executable).with_name("dailypapers")
    t = time.perf_counter()
    proc = subprocess.Popen([str(exe), "index", "rebuild", "--no-embed"], env={**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"index rebuild failed ({proc.returncode})")
    return {"index_build_s": round(time.perf_counter() - t, 1),
            "index_build_peak_mb": round(usage.ru_maxrss / 1024)}  # fmt: skip


def _build(folder: Path, env: dict[str, str], total: int, records: list, rows: list) -> dict:
    marker = folder / "build.json"
    state = json.loads(marker.read_text()) if marker.exists() else {}
    if state.get("papers") != total:
        state = {"papers": total}
    if "fill_s" not in state:
        note = f"vectors = real ones + N(0, {SIGMA}^2) noise, renormalised"
        print(f"building {total:,} papers in {folder} (text resampled from the 74k corpus; "
              f"{note})", flush=True)  # fmt: skip
        t = time.perf_counter()
        _fill(folder, total, records, rows)
        state["fill_s"] = round(time.perf_counter() - t, 1)
        db_file = folder / "data" / "dailypapers.sqlite3"
        state["db_mb"] = round(db_file.stat().st_size / 2**20)
        marker.write_text(json.dumps(state))
    if "index_build_s" not in state:
        print("index rebuild --no-embed ...", flush=True)
        state.update(_rebuild(env))
        marker.write_text(json.dumps(state))
    else:
        print(f"reusing the built folder {folder} ({state})", flush=True)
    return state


def _status(pid: int) -> dict:
    text = Path(f"/proc/{pid}/status").read_text()
    get = lambda key: int(re.search(rf"{key}:\s+(\d+)", text).group(1)) // 1024  # noqa: E731
    return {"server_rss_mb": get("VmRSS"), "server_peak_mb": get("VmHWM")}


def _http(env: dict[str, str], queries: list[str], ids: list[str]) -> dict:
    import httpx

    port = _free_port()
    exe = Path(sys.executable).with_name("dailypapers")
    t = time.perf_counter()
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", "1"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    out: dict = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            for _ in range(3000):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise SystemExit("serve exited before /healthz answered")
                time.sleep(0.2)
            out["server_ready_s"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            r = client.get("/api/papers/search", params={"q": "warm up", "limit": 20})
            out["first_search_ms"] = round((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            for q in queries:  # warm-up pass: each query embedded once (then cached)
                client.get("/api/papers/search", params={"q": q, "limit": 20})
            for pid in ids[:20]:
                client.get(f"/api/papers/{pid}/similar", params={"limit": 10})
            statuses: dict[str, set[int]] = {}

            def get(kind: str, url: str, params: dict) -> None:
                statuses.setdefault(kind, set()).add(client.get(url, params=params).status_code)

            for mode in ("hybrid", "keyword", "semantic"):
                out[f"{mode}_api"] = _timed(
                    lambda q, m=mode: get(m, "/api/papers/search",
                                          {"q": q, "mode": m, "limit": 20}),
                    queries,
                )  # fmt: skip
            out["similar_api"] = _timed(
                lambda pid: get("similar", f"/api/papers/{pid}/similar", {"limit": 10}), ids
            )
            out["http_statuses"] = {k: sorted(v) for k, v in statuses.items()}
            hits = client.get("/api/papers/search", params={"q": queries[0], "limit": 20}).json()
            out["example_hits"] = len(hits) if isinstance(hits, list) else hits
        out.update(_status(proc.pid))
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(args.dir)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    env = {"DAILYPAPERS_DATA_DIR": str(folder / "data"), "DAILYPAPERS_EMBED_ON_IMPORT": "false",
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    os.environ.update(env)
    rows, records = _corpus()
    t = time.perf_counter()
    state = _build(folder, env, args.papers, records, rows)
    queries = _queries(rows, args.queries)
    rng = random.Random(3)
    picks = rng.sample(range(args.papers), args.queries)
    ids = [_synthetic_id(records, g) for g in picks]
    figures: dict = {
        "papers": args.papers,
        "queries": len(queries),
        "data": f"text resampled from the 74,728-paper corpus; vectors = real MiniLM vectors "
        f"+ Gaussian noise sigma={SIGMA}, renormalised",
        "build": state,
        "build_this_run_s": round(time.perf_counter() - t, 1),
    }
    figures.update(_http(env, queries, ids))
    print("\nfigure                     p50 ms    p99 ms   goal")
    for kind in ("hybrid", "keyword", "semantic", "similar"):
        f = figures[f"{kind}_api"]
        goal = GOALS.get(f"{kind}_api")
        note = f"p50 <= {goal[0]:.0f}, p99 <= {goal[1]:.0f}" if goal else ""
        print(f"{kind + ' (API)':<24} {f['p50_ms']:>9} {f['p99_ms']:>9}   {note}")
    print(f"server peak RSS (VmHWM): {figures['server_peak_mb']} MB   goal <= {MEMORY_GOAL_MB} MB")
    print(f"build: fill {state.get('fill_s')} s + index {state.get('index_build_s')} s "
          f"(index build peak {state.get('index_build_peak_mb')} MB)\n")  # fmt: skip
    save("search_million", figures)
