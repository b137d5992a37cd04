"""Hybrid fusion variants, re-scored offline over what the fusion sees for every labelled query.

    python -m bench fusion --dir=/tmp/fusion-sq   # a folder of python -m bench search_quality

Each query of the label sets (``tests/search_labelled.py``) goes once through ``search()`` in
hybrid, keyword and semantic mode (and the plain RRF reference); the hybrid run records the
fusion's inputs: every candidate's BM25 and cosine, the keyword engine's near matches and the
query type. Each variant below re-fuses those candidates (the pinned paper stays first) and
is scored by nDCG@10 on the dev and test halves and the whole of each set, with the smallest
margin of hybrid over max(keyword, semantic, plain RRF) per split. ``product`` must match
``python -m bench search_quality``'s hybrid row. docs/search.md (third round) reads this table.
"""

from __future__ import annotations

import os
import random
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests import search_labelled as labelled

from bench import bench_search_quality as quality

SETS = ("graded", "known-item", "topics", "topics-judged")  # the last: fresh only
SPLITS = ("dev", "test", "fresh")  # fresh: known-item and topics only, never chosen on
BARS = ("keyword", "semantic", "rrf")
_STOPWORDS = "a an and are as at be but by for if in into is it no not of on or such that the "
STOPWORDS = frozenset((_STOPWORDS + "their then there these they this to was will with").split())


@dataclass
class Query:
    """One labelled query and what the fusion saw for it (``kw`` empty: nothing matched)."""

    label_set: str
    split: str
    text: str
    grades: dict[str, int]
    ranked: dict[str, list[str]] = field(default_factory=dict)  # by mode / reference
    kw: dict[str, float] = field(default_factory=dict)
    sem: dict[str, float] = field(default_factory=dict)
    near: dict[str, float] = field(default_factory=dict)
    first: str | None = None
    pinned: str | None = None
    kind: str = "-"  # D / N / - (distinctive, near, neither) + q (plain words), or "list"
    distinctive_kind: str = "-"  # the same without the list class


Variant = Callable[[Query], list[str]]


def capture(argv: list[str]) -> list[Query]:
    """Run the label sets through ``search()``, recording the hybrid fusion's inputs."""
    from sqlalchemy import select

    from dailypapers.config import Settings
    from dailypapers.search import SearchRequest, hybrid, search
    from dailypapers.search.engine import get_index
    from dailypapers.search.keyword import KeywordIndex
    from dailypapers.store import db
    from dailypapers.store.models import Paper

    folder = Path(quality._args(argv).dir)
    os.environ.setdefault("DAILYPAPERS_DATA_DIR", str(folder / "data"))
    os.environ.setdefault("DAILYPAPERS_EMBED_ON_IMPORT", "false")
    os.environ.setdefault("DAILYPAPERS_SIMILAR_PARTS", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    seen: dict = {}
    rank, share_for, combine = KeywordIndex.rank, hybrid.share_for, hybrid.combine

    def rank_spy(self, q, limit):  # type: ignore[no-untyped-def]
        seen["ranking"] = rank(self, q, limit)
        return seen["ranking"]

    def share_spy(**kw):  # type: ignore[no-untyped-def]
        seen["type"] = kw
        return share_for(**kw)

    def combine_spy(keyword, semantic, *args, **kw):  # type: ignore[no-untyped-def]
        seen["scores"] = (dict(keyword), dict(semantic))
        return combine(keyword, semantic, *args, **kw)

    KeywordIndex.rank, hybrid.share_for, hybrid.combine = rank_spy, share_spy, combine_spy  # type: ignore[method-assign]
    settings = Settings()
    if not (Path(settings.data_dir) / "dailypapers.sqlite3").exists():
        quality._fill(settings)
    queries: list[Query] = []
    try:
        with db.session_scope(settings) as session:
            index = get_index(settings)
            refs = quality.References(settings, session)
            papers = session.execute(
                select(Paper.id, Paper.title, Paper.abstract, Paper.authors, Paper.categories)
            ).all()
            rows = [{"id": p.id, "abstract": p.abstract or ""} for p in papers if "." in p.id]
            rows.sort(key=lambda r: r["id"])
            random.Random(0).shuffle(rows)
            authors = {p.id: p.authors or [] for p in papers}
            categories = {p.id: p.categories or [] for p in papers}
            for split in SPLITS:
                for name, label_set in (
                    ("graded", None if split == "fresh" else quality.graded_set(split, authors)),
                    ("known-item", quality.known_item_set(rows, split=split)),
                    ("topics", quality.topic_set(categories, split=split)),
                    ("topics-judged", quality.judged_topic_set() if split == "fresh" else None),
                ):
                    if label_set is None:
                        continue
                    for text, grades in zip(label_set.queries, label_set.grades, strict=True):
                        entry = Query(name, split, text, grades)
                        for mode in ("keyword", "semantic", "hybrid"):
                            seen.clear()
                            request = SearchRequest(q=text, mode=mode, limit=quality.DEPTH)
                            result = search(settings, session, request)
                            entry.ranked[mode] = [h.id for h in result.hits][: quality.DEPTH]
                        entry.pinned = result.pinned
                        entry.ranked["rrf"] = refs.rrf(text)
                        if "scores" in seen:
                            _record(entry, seen, index.ids)
                        queries.append(entry)
            titles = dict(session.execute(select(Paper.id, Paper.title)).all())
    finally:
        KeywordIndex.rank, hybrid.share_for, hybrid.combine = rank, share_for, combine  # type: ignore[method-assign]
    TITLES.update(
        (pid, set(_words(titles.get(pid) or ""))) for q in queries for pid in q.kw | q.sem
    )
    return queries


def _record(entry: Query, seen: dict, ids: list[str]) -> None:
    keyword, semantic = seen["scores"]
    ranking, kind = seen["ranking"], seen["type"]
    entry.kw = {ids[r]: s for r, s in keyword.items()}
    entry.sem = {ids[r]: s for r, s in semantic.items()}
    if ranking.distinctive:
        entry.near = {ids[r]: s for r, s in ranking.near.items()}
        entry.first = ids[ranking.first] if ranking.first is not None else None
    base = "D" if kind["distinctive"] else "N" if kind["near"] else "-"
    entry.distinctive_kind = base + ("q" if kind["natural"] else "")
    entry.kind = "list" if kind.get("listing") else entry.distinctive_kind


TITLES: dict[str, set[str]] = {}


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS]


# --- variants ----------------------------------------------------------------------------------
SECOND_ROUND = {"D": 0.6, "Dq": 0.6, "N": 0.3, "Nq": 0.3, "-": 0.3, "-q": 0.1}


def mix(
    shares: dict[str, float], lists: float | None = 0.02, list_lift: bool = False,
    norm: str = "best", title_bonus: float = 0.0, safety: tuple[int, float] | None = None,
) -> Variant:  # fmt: skip
    """The product's score mix with these shares per query type (``lists`` None: no list
    class); ``norm`` best (BM25 / best, raw cosine), minmax or z; optional title rerank and
    a safety rule (a sentence whose two top-10 lists share at most n papers gets share s)."""

    def rank(q: Query) -> list[str]:
        listing = lists is not None and q.kind == "list"
        share = lists if listing else shares[q.distinctive_kind]
        if safety and q.distinctive_kind == "-q" and not listing:
            top = set(sorted(q.kw, key=lambda p: -q.kw[p])[:10])
            if len(top & set(sorted(q.sem, key=lambda p: -q.sem[p])[:10])) <= safety[0]:
                share = safety[1]
        lifted, first = (q.near, q.first) if list_lift or not listing else ({}, None)
        rows = {**q.kw, **q.sem}
        k = _normalised(q.kw, rows, norm)
        s = q.sem if norm == "best" else _normalised(q.sem, rows, norm)  # a cosine has a scale
        words = set(_words(q.text))
        score = {
            p: share * k[p] + (1 - share) * s.get(p, 0.0) + (0.05 if p in lifted else 0.0)
            + (title_bonus if words and words <= TITLES.get(p, set()) else 0.0)
            for p in rows
        }  # fmt: skip
        return sorted(score, key=lambda p: (p != first, -score[p], p))

    return rank


def _normalised(scores: dict[str, float], rows: dict, norm: str) -> dict[str, float]:
    """``best``: divided by the best; ``minmax``: onto 0..1; ``z``: z-scores (a row missing
    from ``scores`` scores 0 before ``z`` and after the others)."""
    values = list(scores.values()) or [0.0]
    if norm == "best":
        best = max(values) or 1.0
        return {p: scores.get(p, 0.0) / best for p in rows}
    if norm == "minmax":
        low, span = min(values), (max(values) - min(values)) or 1.0
        return {p: (scores[p] - low) / span if p in scores else 0.0 for p in rows}
    mean, spread = statistics.mean(values), statistics.pstdev(values) or 1.0
    return {p: (scores.get(p, 0.0) - mean) / spread for p in rows}


def weighted_rrf(weights: dict[str, float], k: float = 10.0) -> Variant:
    """Reciprocal-rank fusion with a keyword weight per query type (lists: ``weights['list']``)."""

    def rank(q: Query) -> list[str]:
        w = weights.get(q.kind, weights.get(q.distinctive_kind, 0.5))
        score: dict[str, float] = {}
        for weight, scores in ((w, q.kw), (1 - w, q.sem)):
            for i, p in enumerate(sorted(scores, key=lambda p: -scores[p])):
                score[p] = score.get(p, 0.0) + weight / (k + i + 1)
        first = None if q.kind == "list" else q.first
        return sorted(score, key=lambda p: (p != first, -score[p], p))

    return rank


def variants() -> dict[str, Variant]:
    sentences_015 = {**SECOND_ROUND, "-q": 0.15}
    natural_0 = {**SECOND_ROUND, "-q": 0.0}
    grid_best = {"D": 0.6, "Dq": 0.4, "N": 0.8, "Nq": 0.8, "-": 0.3, "-q": 0.1}
    minmax_best = {"D": 0.8, "Dq": 0.6, "N": 0.8, "Nq": 0.8, "-": 0.5, "-q": 0.15}
    out: dict[str, Variant] = {
        "second round (no list class)": mix(SECOND_ROUND, lists=None),
        "product: lists 0.02, no lift": mix(SECOND_ROUND),
    }
    for share in (0.0, 0.01, 0.03, 0.05, 0.07):
        out[f"lists {share}"] = mix(SECOND_ROUND, lists=share)
    out["lists 0.02, lifted"] = mix(SECOND_ROUND, list_lift=True)
    out["lists 0.02, sentences 0.15"] = mix(sentences_015)
    out["lists and sentences 0"] = mix(natural_0, lists=0.0)
    out["per-type grid best (no list class)"] = mix(grid_best, lists=None)
    out["min-max, grid best (no list class)"] = mix(minmax_best, lists=None, norm="minmax")
    out["z-scores, share 0.4 (0.6 distinctive)"] = mix(
        {**dict.fromkeys(SECOND_ROUND, 0.4), "D": 0.6}, lists=0.4, norm="z"
    )
    out["safety: overlap<=1 -> 0.05"] = mix(SECOND_ROUND, safety=(1, 0.05))
    out["safety: overlap<=1 -> 0"] = mix(SECOND_ROUND, safety=(1, 0.0))
    out["title rerank +0.02"] = mix(SECOND_ROUND, title_bonus=0.02)
    out["title rerank +0.05"] = mix(SECOND_ROUND, title_bonus=0.05)
    out["rrf k=10, per-type weights"] = weighted_rrf(
        {"D": 0.9, "Dq": 0.6, "N": 0.7, "Nq": 0.8, "-": 0.8, "-q": 0.5, "list": 0.3}
    )
    return out


# --- scoring -----------------------------------------------------------------------------------
def ndcg(queries: list[Query], rank: Callable[[Query], list[str]]) -> dict[str, float]:
    """nDCG@10 per set and split, and each set whole (dev and test; fresh stays apart)."""
    out: dict[str, float] = {}
    for name in SETS:
        whole: list[float] = []
        for split in SPLITS:
            values = [
                labelled.ndcg_at(rank(q), q.grades, 10)
                for q in queries
                if q.label_set == name and q.split == split
            ]
            if values:
                out[f"{name} {split}"] = statistics.mean(values)
            if split != "fresh":
                whole += values
        if whole:
            out[f"{name} all"] = statistics.mean(whole)
    return out


def fused(variant: Variant) -> Callable[[Query], list[str]]:
    def rank(q: Query) -> list[str]:
        if not q.kw and not q.sem:  # nothing matched: the product answers nothing
            return q.ranked["hybrid"]
        ranked = variant(q)
        if q.pinned:
            ranked = [q.pinned] + [p for p in ranked if p != q.pinned]
        return ranked[: quality.DEPTH]

    return rank


def main(argv: list[str]) -> None:
    queries = capture(argv)
    bars = {m: ndcg(queries, lambda q, m=m: q.ranked[m]) for m in BARS}
    columns = [c for c in (f"{n} {s}" for n in SETS for s in (*SPLITS, "all")) if c in bars["rrf"]]
    print(f"{len(queries)} queries; nDCG@10; margin = hybrid - max(keyword, semantic, rrf)")
    print(f"{'':<40}" + "".join(f"{c[:14]:>15}" for c in columns) + "   dev    test   fresh  all")
    rows = {m: bars[m] for m in BARS}
    rows["product (as run)"] = ndcg(queries, lambda q: q.ranked["hybrid"])
    rows.update({name: ndcg(queries, fused(v)) for name, v in variants().items()})
    for name, figures in rows.items():
        margins = [
            min(
                figures[f"{n} {s}"] - max(bars[m][f"{n} {s}"] for m in BARS)
                for n in SETS
                if f"{n} {s}" in figures
            )
            for s in (*SPLITS, "all")
        ]
        print(f"{name[:39]:<40}" + "".join(f"{figures[c]:>15.3f}" for c in columns)
              + "".join(f" {m:+.3f}" for m in margins))  # fmt: skip
