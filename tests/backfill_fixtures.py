"""A stand-in embedder for tests about *which* papers get embedded, not about the vectors.

On a shared two-core machine the real model takes seconds a paper for part vectors; these
tests check the bookkeeping (missing, stale, resumed, never twice), for which any
deterministic function of the text will do. The real model is used elsewhere
(``test_search_indexing.py``) and in one rerun test here.
"""

from __future__ import annotations

import hashlib

import numpy as np

DIM = 384  # the bundled model's width, which the embedding contract reads from its folder


class HashEmbedder:
    """Unit vectors seeded by a hash of each text; counts the texts it embedded."""

    dim = DIM
    name = "hash"

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.texts += len(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).standard_normal(DIM)
            out[i] = vector / np.linalg.norm(vector)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


MODULES = ("embed", "indexer", "parts_store")  # those that call ``get_embedder`` to embed papers


def install() -> HashEmbedder:
    """Make ``get_embedder`` return a ``HashEmbedder`` in this process (subprocess drivers)."""
    import importlib

    fake = HashEmbedder()
    for name in MODULES:
        module = importlib.import_module(f"dailypapers.search.{name}")
        module.get_embedder = lambda model: fake
    return fake
