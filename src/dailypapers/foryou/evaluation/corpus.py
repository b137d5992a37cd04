"""The evaluation corpus: arXiv JSON lines and their precomputed MiniLM vectors."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dailypapers.foryou import lexical
from dailypapers.foryou.space import PaperSpace


@dataclass(slots=True)
class Corpus:
    """Papers in corpus order: ids, texts, authors, categories (primary first) and listing
    day."""

    ids: list[str]
    texts: list[str]
    authors: list[list[str]]
    primary: list[str]
    days: list[dt.date]
    space: PaperSpace
    categories: list[list[str]]


def vectors_path(corpus: Path) -> Path:
    """``x.jsonl.gz`` → ``x.minilm.f16.npy`` (the layout of ../shared/corpus)."""
    name = corpus.name.removesuffix(".gz").removesuffix(".jsonl")
    return corpus.with_name(f"{name}.minilm.f16.npy")


def _read_lines(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _check_ids(vec_path: Path, ids: list[str], n_rows: int) -> None:
    ids_path = vec_path.with_name(vec_path.name + ".ids.txt")
    if ids_path.exists():
        listed = ids_path.read_text().split()
        if listed != ids:
            raise ValueError(f"{ids_path} does not list the corpus ids in corpus order")
    if n_rows != len(ids):
        raise ValueError(f"{vec_path} has {n_rows} rows for {len(ids)} papers")


def load_corpus(path: Path, vectors: Path | None = None) -> Corpus:
    """Read the papers and their vectors; raises ``ValueError`` on a mismatch."""
    rows = _read_lines(path)
    ids = [str(r["id"]) for r in rows]
    vec_path = vectors or vectors_path(path)
    mat = np.load(vec_path, mmap_mode="r")
    _check_ids(vec_path, ids, mat.shape[0])
    vecs = np.asarray(mat, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs /= np.where(norms > 0, norms, 1.0)
    texts = [" ".join(f"{r['title']}. {r.get('abstract') or ''}".split()) for r in rows]
    space = PaperSpace(ids=ids, vectors=vecs, counts=lexical.counts(texts))
    return Corpus(
        ids=ids, texts=texts, authors=[list(r.get("authors") or []) for r in rows],
        primary=[(r.get("categories") or [""])[0] for r in rows],
        days=[dt.date.fromisoformat(r["first_listing_date"]) for r in rows], space=space,
        categories=[list(r.get("categories") or []) for r in rows],
    )  # fmt: skip
