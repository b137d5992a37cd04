"""A disk cache of text embeddings, so that evaluations embed each text once.

Vectors are keyed by the model name and the SHA-1 of the exact text, so a change of text
recipe or model never returns a stale vector. The cache is a pair of files per model
(``keys.txt``, one hex digest a line, and ``vectors.npy``, float32 rows in the same order)
rewritten atomically after each batch, so an interrupted run keeps what it finished.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingCache", "default_cache_dir"]

Encoder = Callable[[list[str]], np.ndarray]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/dailypapers/embeddings`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dailypapers" / "embeddings"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class EmbeddingCache:
    """Embeddings of texts under one model, computed on demand and kept on disk."""

    def __init__(self, folder: Path, model_name: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_name).strip("_") or "model"
        self.folder = folder / slug
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._load()

    def _load(self) -> None:
        keys_path, vectors_path = self.folder / "keys.txt", self.folder / "vectors.npy"
        if not (keys_path.exists() and vectors_path.exists()):
            return
        keys = keys_path.read_text(encoding="ascii").split()
        vectors = np.load(vectors_path)
        if len(keys) == len(vectors):  # a torn write is ignored rather than trusted
            self._index = {key: i for i, key in enumerate(keys)}
            self._vectors = vectors

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(self._index, key=self._index.__getitem__)
        tmp_vectors = self.folder / "vectors.tmp.npy"
        np.save(tmp_vectors, self._vectors)
        tmp_keys = self.folder / "keys.tmp"
        tmp_keys.write_text("\n".join(keys), encoding="ascii")
        tmp_vectors.replace(self.folder / "vectors.npy")
        tmp_keys.replace(self.folder / "keys.txt")

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts that have no cached vector yet."""
        seen: dict[str, str] = {}
        for text in texts:
            key = _digest(text)
            if key not in self._index:
                seen.setdefault(key, text)
        return list(seen.values())

    def fill(
        self,
        texts: Sequence[str],
        encode: Encoder,
        batch_size: int = 256,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Embed the texts not cached yet, in batches, saving after each batch."""
        todo = self.missing(texts)
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            vectors = np.asarray(encode(batch), dtype=np.float32)
            base = len(self._index)
            if self._vectors.size == 0:
                self._vectors = vectors
            else:
                self._vectors = np.concatenate([self._vectors, vectors])
            for offset, text in enumerate(batch):
                self._index[_digest(text)] = base + offset
            self._save()
            if progress:
                progress(len(batch))

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """The cached vectors of ``texts`` (all must be cached: call ``fill`` first)."""
        rows = [self._index[_digest(text)] for text in texts]
        if not rows:
            return np.zeros((0, self._vectors.shape[1] if self._vectors.ndim == 2 else 0))
        return self._vectors[rows]
