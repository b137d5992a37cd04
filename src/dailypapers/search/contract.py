"""The embedding contract: which model, dimension, normalisation and text recipe made a vector.

Vectors are only comparable when they share a contract. ``paper_vectors.contract`` stores its
key, and the local index files record theirs: a mismatch forces a rebuild instead of mixing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from dailypapers.search.embed import get_embedder, resolve_model_path

RECIPE = "title. abstract; white space folded; max_seq_length=256"


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is embedded from: ``title + ". " + abstract``, white space folded.

    The same recipe as the shared precomputed vectors, so that they can be imported as-is.
    """
    # str.split() folds the characters regex \s matches (str.isspace), three times as fast
    return " ".join(f"{title}. {abstract or ''}".split())


def text_hash(text: str) -> str:
    """Short hash of the embedded text: a changed title or abstract means a stale vector."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Contract:
    """What made a vector. ``key`` (at most 64 characters) goes into ``paper_vectors.contract``."""

    model: str
    dim: int
    normalised: bool = True
    recipe: str = RECIPE

    @property
    def key(self) -> str:
        payload = json.dumps(asdict(self), sort_keys=True).encode()
        digest = hashlib.sha1(payload, usedforsecurity=False).hexdigest()[:12]
        tail = re.sub(r"[^A-Za-z0-9._-]+", "-", self.model.rstrip("/").split("/")[-1])[-40:]
        return f"{tail}-{self.dim}-{digest}"

    def describe(self) -> str:
        norm = "L2-normalised" if self.normalised else "raw"
        return f"{self.model} ({self.dim} dims, {norm}; text: {self.recipe})"


@lru_cache(maxsize=8)
def contract_for(model: str) -> Contract:
    """The contract of ``model`` without loading its weights when its folder tells the size."""
    path = Path(resolve_model_path(model))
    pooling = path / "1_Pooling" / "config.json"
    if pooling.is_file():
        dim = int(json.loads(pooling.read_text())["word_embedding_dimension"])
    else:
        dim = get_embedder(model).dim
    return Contract(model=model, dim=dim)
