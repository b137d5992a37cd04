"""A small synthetic world for the ranker and the evaluation: topics with their own words and
vector directions, so that both lexical and dense evidence say which topic a paper is about."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np

from dailypapers.config import Settings
from dailypapers.foryou import PaperMeta, PaperSpace, lexical
from dailypapers.search.contract import contract_for
from dailypapers.store import db
from dailypapers.store.models import PaperVector
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord

TOPICS = {
    "robots": "robot grasping manipulation policy gripper dexterous tactile",
    "language": "language model tokens pretraining instruction tuning transformer",
    "vision": "image segmentation detection pixels convolutional camera",
    "graphs": "graph neural message passing nodes edges molecules",
}
FILLER = [
    "we",
    "propose",
    "method",
    "results",
    "show",
    "experiments",
    "benchmark",
    "approach",
    "novel",
]
START = dt.date(2025, 3, 3)


def paper(i: int, topic: str, rng: np.random.Generator) -> dict:
    words = TOPICS[topic].split()
    picked = rng.choice(words, 6).tolist() + rng.choice(FILLER, 6).tolist()
    return {
        "id": f"2503.{10000 + i}", "title": f"{topic.title()} study {i}: {' '.join(picked[:3])}",
        "abstract": " ".join(picked), "authors": [f"Author {topic} {i % 5}", f"Other {i}"],
        "categories": [{"robots": "cs.RO", "language": "cs.CL", "vision": "cs.CV",
                        "graphs": "cs.LG"}[topic]],
        "first_listing_date": (START + dt.timedelta(days=i // 20)).isoformat(), "comment": None,
    }  # fmt: skip


def world(n: int = 400, seed: int = 0, dim: int = 16) -> tuple[list[dict], np.ndarray]:
    """``n`` papers cycling through the topics, and unit vectors near their topic's axis."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    papers = [paper(i, names[i % len(names)], rng) for i in range(n)]
    axes = rng.normal(size=(len(names), dim))
    noise = 0.8
    vecs = np.stack([axes[i % len(names)] + noise * rng.normal(size=dim) for i in range(n)])
    return papers, vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def space(papers: list[dict], vecs: np.ndarray) -> PaperSpace:
    texts = [f"{p['title']}. {p['abstract']}" for p in papers]
    meta = [PaperMeta(title=p["title"], abstract=p["abstract"], authors=tuple(p["authors"]),
                      categories=tuple(p["categories"]),
                      published_on=dt.date.fromisoformat(p["first_listing_date"]))
            for p in papers]  # fmt: skip
    return PaperSpace(
        ids=[p["id"] for p in papers], vectors=vecs.astype(np.float32),
        counts=lexical.counts(texts), meta=meta,
        popularity=np.arange(len(papers), dtype=float) % 7,
    )  # fmt: skip


def write_corpus(folder: Path, papers: list[dict], vecs: np.ndarray) -> Path:
    """The layout of ../shared/corpus: JSON lines, float16 vectors and their id list."""
    path = folder / "mini.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.writelines(json.dumps(p) + "\n" for p in papers)
    np.save(folder / "mini.minilm.f16.npy", vecs.astype(np.float16))
    (folder / "mini.minilm.f16.npy.ids.txt").write_text("\n".join(p["id"] for p in papers) + "\n")
    return path


def store_world(settings: Settings, papers: list[dict], vecs: np.ndarray) -> None:
    """Store the papers (feed date = listing date) and their vectors under the model's contract."""
    records = [PaperRecord(
        title=p["title"], abstract=p["abstract"], arxiv_id=p["id"], authors=p["authors"],
        categories=p["categories"], published_on=dt.date.fromisoformat(p["first_listing_date"]),
        feed_date=dt.date.fromisoformat(p["first_listing_date"]),
    ) for p in papers]  # fmt: skip
    key = contract_for(settings.embedding_model).key
    with db.session_scope(settings) as session:
        upsert_records(session, records)
        session.add_all(
            PaperVector(paper_id=p["id"], contract=key, text_hash="x",
                        vector=v.astype(np.float16).tobytes())
            for p, v in zip(papers, vecs, strict=True)
        )  # fmt: skip
