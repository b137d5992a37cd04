"""Read a CSFCube-format directory and score rankings with its official metrics.

The format (see ``../shared/eval/csfcube/README.md``): ``corpus.jsonl`` (papers with
``paper_id``, ``title``, ``abstract``), ``queries.csv`` (``pid``, ``facet``),
``pools-{facet}.json`` (each query's candidate pool ``cands`` and graded relevance
``relevance_adju``, 0-3) and optionally ``evaluation_splits.json`` (dev/test folds).

Metrics: NDCG with linear gains (the grade) and the usual ``1 / log2(rank + 1)`` discount,
cut at 20% of the pool size (``int(0.2 * n)``), ideal ranking from the pool's own grades; and
average precision over the whole ranked pool with grades >= 2 relevant. With this NDCG, plain
all-MiniLM-L6-v2 cosine scores 0.601 on the 50 queries, matching the reference figure.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "FACETS",
    "CsfCube",
    "CsfPaper",
    "CsfQuery",
    "average_precision",
    "dcg",
    "load_csfcube",
    "ndcg_at",
    "ndcg_pct20",
]

FACETS = ("background", "method", "result")
RELEVANT_GRADE = 2


@dataclass(frozen=True)
class CsfPaper:
    """One paper of the collection: only what the product itself would have."""

    paper_id: str
    title: str
    abstract: str


@dataclass(frozen=True)
class CsfQuery:
    """A query paper, the facet asked for and its graded candidate pool."""

    pid: str
    facet: str
    grades: dict[str, int]

    @property
    def key(self) -> str:
        """The ``{pid}_{facet}`` name used by ``evaluation_splits.json``."""
        return f"{self.pid}_{self.facet}"


@dataclass
class CsfCube:
    """A loaded collection."""

    papers: dict[str, CsfPaper]
    queries: list[CsfQuery]
    splits: dict[str, set[str]] = field(default_factory=dict)

    def select(self, split: str) -> list[CsfQuery]:
        """The queries of ``split``: ``all``, ``dev`` (fold1_dev) or ``test`` (fold1_test)."""
        if split == "all":
            return list(self.queries)
        if split not in self.splits:
            raise ValueError(f"this collection has no {split!r} split")
        return [q for q in self.queries if q.key in self.splits[split]]


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name} is not valid JSON: {exc}") from None


def _load_papers(folder: Path) -> dict[str, CsfPaper]:
    papers: dict[str, CsfPaper] = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                pid = str(row["paper_id"])
                papers[pid] = CsfPaper(pid, row.get("title") or "", row.get("abstract") or "")
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ValueError(f"corpus.jsonl line {number} is not a paper record") from None
    return papers


def _load_queries(folder: Path) -> list[CsfQuery]:
    with (folder / "queries.csv").open(encoding="utf-8", newline="") as handle:
        wanted = [(row["pid"], row["facet"]) for row in csv.DictReader(handle)]
    pools: dict[str, dict] = {}
    queries = []
    for pid, facet in wanted:
        if facet not in FACETS:
            raise ValueError(f"queries.csv: unknown facet {facet!r} for {pid}")
        if facet not in pools:
            data = _read_json(folder / f"pools-{facet}.json")
            pools[facet] = data if isinstance(data, dict) else {}
        pool = pools[facet].get(pid)
        if not pool:
            raise ValueError(f"pools-{facet}.json has no pool for query {pid}")
        grades = dict(zip(map(str, pool["cands"]), map(int, pool["relevance_adju"]), strict=True))
        queries.append(CsfQuery(str(pid), facet, grades))
    return queries


def _load_splits(folder: Path) -> dict[str, set[str]]:
    path = folder / "evaluation_splits.json"
    if not path.exists():
        return {}
    data = _read_json(path)
    every = data.get("all", {}) if isinstance(data, dict) else {}
    return {
        "dev": set(every.get("fold1_dev", [])),
        "test": set(every.get("fold1_test", [])),
    }


def load_csfcube(folder: Path) -> CsfCube:
    """Load a CSFCube-format directory; raises ``ValueError`` naming what is wrong."""
    for name in ("corpus.jsonl", "queries.csv"):
        if not (folder / name).is_file():
            raise ValueError(f"{folder} has no {name}: is it a CSFCube directory?")
    papers = _load_papers(folder)
    queries = _load_queries(folder)
    missing = {q.pid for q in queries if q.pid not in papers}
    missing |= {c for q in queries for c in q.grades if c not in papers}
    if missing:
        raise ValueError(f"corpus.jsonl lacks {len(missing)} pooled papers, e.g. {min(missing)}")
    return CsfCube(papers, queries, _load_splits(folder))


def dcg(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain of the first ``k`` gains: sum of g_r / log2(r + 1)."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains[:k], start=1))


def ndcg_at(ranked_grades: Sequence[float], k: int) -> float:
    """NDCG at ``k`` of grades given in ranked order (0 when nothing is relevant)."""
    ideal = dcg(sorted(ranked_grades, reverse=True), k)
    return dcg(ranked_grades, k) / ideal if ideal > 0 else 0.0


def ndcg_pct20(ranked_grades: Sequence[float]) -> float:
    """NDCG cut at 20% of the pool size, CSFCube's headline metric."""
    return ndcg_at(ranked_grades, int(0.20 * len(ranked_grades)))


def average_precision(ranked_grades: Sequence[int], threshold: int = RELEVANT_GRADE) -> float:
    """Mean of precision at each relevant rank; grades >= ``threshold`` are relevant."""
    hits = 0
    total = 0.0
    for rank, grade in enumerate(ranked_grades, start=1):
        if grade >= threshold:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0
