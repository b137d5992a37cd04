"""Search quality: the product's keyword, semantic and hybrid modes beside reference rankers,
on the label sets of ``tests/search_labelled.py``, in one run over the same papers.

    python -m bench search_quality                  # 74,728 arXiv papers + the sample pages
    python -m bench search_quality --split test     # held-out queries only
    python -m bench search_quality --split fresh    # the fresh held-out sets only
    python -m bench search_quality --pool FILE      # write each query's top-20 pool (judging)
    python -m bench search_quality --pool FILE --pool-set topics-fresh   # the fresh topics'

References: ``bm25`` is plain BM25 (bm25s, English stopwords, no stemming, title + abstract),
``minilm`` plain all-MiniLM-L6-v2 cosine over every paper (the same stored vectors), ``rrf`` a
plain reciprocal-rank fusion (k=60) of their top 100. The first run imports the corpus and its
shared vectors into ``--dir`` (a few minutes); later runs reuse it.

Splits: every set has a dev half (choices are made there) and a test half; the known-item,
topics and no-match sets also have a **fresh** held-out set, written after the others had been
read query by query while tuning, that nothing is chosen on (``tests/search_labelled.py``).
The fresh topics are scored twice: by arXiv category, and as judged paper by paper from the
pooled top 20 of every method (``tests/fixtures/search_judgments_topics_fresh.json``).

Metrics: nDCG@10 (linear gains, ideal from all judged papers), recall@100 (relevant found in
the top 100 over min(relevant, 100)) and MRR (first paper of grade >= 1), averaged over queries.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tests import search_labelled as labelled

from bench.common import SHARED, save

CORPUS = SHARED / "corpus" / "arxiv-cs-74k.jsonl.gz"
VECTORS = SHARED / "corpus" / "arxiv-cs-74k.minilm.f16.npy"
PAGES = SHARED / "corpus" / "pages"
PRODUCT = ("keyword", "semantic", "hybrid")
REFERENCES = ("bm25", "minilm", "rrf")
DEPTH = 100
POOL_DEPTH = 20
Ranker = Callable[[str], list[str]]


@dataclass
class LabelSet:
    """Queries with graded relevance: ``grades[i]`` maps paper ids to grades for query i."""

    name: str
    queries: list[str]
    grades: list[dict[str, int]]


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench search_quality")
    parser.add_argument("--dir", default="/tmp/dp-bench-quality", help="work folder (reused)")
    parser.add_argument(
        "--split",
        choices=("all", "dev", "test", "fresh"),
        default="all",
        help="queries to score: dev, test and fresh sets side by side (all), or one split",
    )
    parser.add_argument("--pool", default=None, help="write the judging pools to this file")
    parser.add_argument("--pool-set", choices=("graded", "topics-fresh"), default="graded",
                        help="which queries --pool pools")  # fmt: skip
    return parser.parse_args(argv)


def _fill(settings) -> None:
    """Import the 74k corpus, the sample pages and the shared vectors; build the index."""
    from dailypapers.ingest.runner import import_paths
    from dailypapers.search import all_paper_ids, import_vectors, index_papers
    from dailypapers.store import db

    db.upgrade(settings)
    import_paths(settings, [CORPUS, *sorted(Path(p) for p in glob.glob(str(PAGES / "*.txt")))])
    ids = (Path(str(VECTORS) + ".ids.txt")).read_text().split()
    import_vectors(settings, ids, np.load(VECTORS, mmap_mode="r"))
    index_papers(settings, all_paper_ids(settings))  # embeds the sample pages' papers


# --- rankers ---------------------------------------------------------------------------------
def product_ranker(settings, session, mode: str) -> Ranker:
    from dailypapers.search import SearchRequest, search

    def rank(query: str) -> list[str]:
        result = search(settings, session, SearchRequest(q=query, mode=mode, limit=DEPTH))
        weak[query] = result.weak
        return [h.id for h in result.hits[:DEPTH]]

    weak: dict[str, bool] = {}
    rank.weak = weak  # type: ignore[attr-defined]  # which queries got only weak matches
    return rank


class References:
    """Plain BM25 (bm25s), plain MiniLM cosine and their plain RRF over the index's papers."""

    def __init__(self, settings, session) -> None:
        import bm25s
        from sqlalchemy import select

        from dailypapers.search import get_embedder, get_index
        from dailypapers.store.models import Paper

        self.bm25s = bm25s
        index = get_index(settings)
        rows, matrix = index.vectors.merged()
        self.vec_ids = [index.ids[int(r)] for r in rows]
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        text = dict(session.execute(select(Paper.id, Paper.title + " " + Paper.abstract)).all())
        self.ids = list(text)
        self.retriever = bm25s.BM25()
        tokens = bm25s.tokenize([text[p] or "" for p in self.ids], stopwords="en",
                                show_progress=False)  # fmt: skip
        self.retriever.index(tokens, show_progress=False)
        self.embedder = get_embedder(settings.embedding_model)

    def bm25(self, query: str) -> list[str]:
        tokens = self.bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=DEPTH, show_progress=False, n_threads=1)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def minilm(self, query: str) -> list[str]:
        sims = self.matrix @ self.embedder.embed([query])[0]
        top = np.argpartition(-sims, DEPTH)[:DEPTH]
        return [self.vec_ids[int(i)] for i in top[np.argsort(-sims[top], kind="stable")]]

    def rrf(self, query: str, k: float = 60.0) -> list[str]:
        scores: dict[str, float] = {}
        for ranking in (self.bm25(query), self.minilm(query)):
            for rank, pid in enumerate(ranking):
                scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank + 1)
        return sorted(scores, key=lambda p: -scores[p])[:DEPTH]


# --- label sets ------------------------------------------------------------------------------
def graded_set(split: str, authors: dict[str, list[str]]) -> LabelSet:
    """The hand-graded queries; author look-ups are graded from the author lists."""
    judgments = labelled.load_judgments()
    queries, grades = [], []
    for q in labelled.graded_queries():
        if split != "all" and q.split != split:
            continue
        if q.kind == "author":
            wanted = q.text.lower()
            grade = {p: 2 for p, names in authors.items() if wanted in (n.lower() for n in names)}
        else:
            grade = dict(judgments.get(q.qid, {}))
            if q.target:
                grade[q.target] = 2
        queries.append(q.text)
        grades.append(grade)
    return LabelSet(f"graded-74k ({split})", queries, grades)


def _half(label_set: LabelSet, split: str) -> LabelSet:
    """Every other query (``dev``: the 1st, 3rd, ...; ``test``: the others), or all."""
    if split == "all":
        return label_set
    keep = [i for i in range(len(label_set.queries)) if (i % 2 == 0) == (split == "dev")]
    return LabelSet(f"{label_set.name} ({split})", [label_set.queries[i] for i in keep],
                    [label_set.grades[i] for i in keep])  # fmt: skip


def known_item_set(rows: list[dict], count: int = 60, split: str = "all") -> LabelSet:
    pairs = labelled.known_item_queries(rows, count, seed=7)
    if split == "fresh":  # another seed, none of the first set's papers
        taken = {pid for _, pid in pairs}
        fresh = labelled.known_item_queries(rows, count * 2, seed=labelled.FRESH_KNOWN_ITEM_SEED)
        pairs = [(q, pid) for q, pid in fresh if pid not in taken][:count]
        return LabelSet("known-item (fresh)", [q for q, _ in pairs], [{p: 2} for _, p in pairs])
    whole = LabelSet("known-item", [q for q, _ in pairs], [{pid: 2} for _, pid in pairs])
    return _half(whole, split)


def topic_set(categories: dict[str, list[str]], split: str = "all") -> LabelSet:
    topics = labelled.FRESH_TOPICS if split == "fresh" else labelled.TOPICS
    grades = [
        {p: 1 for p, cats in categories.items() if set(cats) & wanted} for _, wanted in topics
    ]
    whole = LabelSet("topics", [q for q, _ in topics], grades)
    if split == "fresh":
        return LabelSet("topics (fresh)", whole.queries, whole.grades)
    return _half(whole, split)


def judged_topic_set() -> LabelSet | None:
    """The fresh topics graded paper by paper (pooled top 20 of every method; unjudged papers
    count 0), or None before they are judged."""
    judged = labelled.load_judgments(labelled.FRESH_TOPIC_JUDGMENTS)
    if not judged:
        return None
    queries = [(labelled.fresh_topic_qid(i), t) for i, (t, _) in enumerate(labelled.FRESH_TOPICS)]
    return LabelSet("topics judged (fresh)", [t for _, t in queries],
                    [judged.get(qid, {}) for qid, _ in queries])  # fmt: skip


def score(label_set: LabelSet, rank: Ranker) -> dict[str, float]:
    ndcg, recall, mrr = [], [], []
    for query, grades in zip(label_set.queries, label_set.grades, strict=True):
        ranked = rank(query)
        ndcg.append(labelled.ndcg_at(ranked, grades, 10))
        recall.append(labelled.recall_at(ranked, grades, DEPTH))
        mrr.append(labelled.reciprocal_rank(ranked, grades))
    return {
        "ndcg10": round(float(np.mean(ndcg)), 3),
        "recall100": round(float(np.mean(recall)), 3),
        "mrr": round(float(np.mean(mrr)), 3),
    }


def no_match(
    rankers: dict[str, Ranker], queries: list[str] = labelled.NO_MATCH_QUERIES
) -> dict[str, dict[str, float]]:
    """Per method: how many no-match queries return nothing, and the mean result count."""
    out = {}
    for name, rank in rankers.items():
        counts = [len(rank(q)) for q in queries]
        weak = getattr(rank, "weak", {})
        out[name] = {
            "empty": sum(c == 0 for c in counts),
            "weak": sum(bool(weak.get(q)) for q in queries),
            "mean_results": float(np.mean(counts)),
        }
    return out


def write_pools(
    path: Path, rankers: dict[str, Ranker], texts: dict[str, tuple[str, str]], which: str
) -> None:
    """Each query's pool: the union of every method's top 20, with what a judge reads
    (``which``: the graded queries but author look-ups, or the fresh topics)."""
    if which == "topics-fresh":
        queries = [
            (labelled.fresh_topic_qid(i), t) for i, (t, _) in enumerate(labelled.FRESH_TOPICS)
        ]
    else:
        queries = [(q.qid, q.text) for q in labelled.graded_queries() if q.kind != "author"]
    pools = {}
    for qid, text in queries:
        seen: dict[str, list[str]] = {}
        for name, rank in rankers.items():
            for pid in rank(text)[:POOL_DEPTH]:
                seen.setdefault(pid, []).append(name)
        pools[qid] = {
            "query": text,
            "papers": [
                {"id": p, "by": by, "title": texts[p][0], "abstract": texts[p][1][:400]}
                for p, by in seen.items()
            ],
        }
    path.write_text(json.dumps(pools, indent=1))


def table(results: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    sets = list(next(iter(results.values())))
    head = f"{'method':<10}" + "".join(f" | {s[:28]:^28}" for s in sets)
    sub = f"{'':<10}" + " | nDCG@10  R@100    MRR   " * len(sets)
    lines = [head, sub]
    for method, by_set in results.items():
        cells = "".join(
            f" | {m['ndcg10']:>7.3f} {m['recall100']:>6.3f} {m['mrr']:>6.3f}   "
            for m in by_set.values()
        )
        lines.append(f"{method:<10}{cells}")
    return lines


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(args.dir)
    os.environ.setdefault("DAILYPAPERS_DATA_DIR", str(folder / "data"))
    os.environ.setdefault("DAILYPAPERS_EMBED_ON_IMPORT", "false")
    os.environ.setdefault("DAILYPAPERS_SIMILAR_PARTS", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sqlalchemy import select

    from dailypapers.config import Settings
    from dailypapers.store import db
    from dailypapers.store.models import Paper

    settings = Settings()
    if not (Path(settings.data_dir) / "dailypapers.sqlite3").exists():
        _fill(settings)
    with db.session_scope(settings) as session:
        started = time.perf_counter()
        refs = References(settings, session)
        rankers: dict[str, Ranker] = {m: product_ranker(settings, session, m) for m in PRODUCT}
        rankers.update({"bm25": refs.bm25, "minilm": refs.minilm, "rrf": refs.rrf})
        papers = session.execute(
            select(Paper.id, Paper.title, Paper.abstract, Paper.authors, Paper.categories)
        ).all()
        if args.pool:
            texts = {p.id: (p.title, p.abstract or "") for p in papers}
            write_pools(Path(args.pool), rankers, texts, args.pool_set)
            print(f"pools written to {args.pool}")
            return
        rows = [{"id": p.id, "abstract": p.abstract or ""} for p in papers if "." in p.id]
        rows.sort(key=lambda r: r["id"])
        random.Random(0).shuffle(rows)
        authors = {p.id: p.authors or [] for p in papers}
        splits = ("dev", "test", "fresh") if args.split == "all" else (args.split,)
        categories = {p.id: p.categories or [] for p in papers}
        sets = [graded_set(split, authors) for split in splits if split != "fresh"]
        sets += [known_item_set(rows, split=split) for split in splits]
        sets += [topic_set(categories, split=split) for split in splits]
        judged = judged_topic_set() if "fresh" in splits else None
        sets += [judged] if judged is not None else []
        results = {name: {s.name: score(s, rank) for s in sets} for name, rank in rankers.items()}
        if args.split == "all":  # each set whole: the query-weighted mean of its two halves
            for by_set in results.values():
                for name in ("graded-74k", "known-item", "topics"):
                    dev, test = by_set[f"{name} (dev)"], by_set[f"{name} (test)"]
                    halves = (f"{name} (dev)", f"{name} (test)")
                    n_dev, n_test = (len(s.queries) for s in sets if s.name in halves)
                    by_set[name] = {
                        k: round((dev[k] * n_dev + test[k] * n_test) / (n_dev + n_test), 3)
                        for k in dev
                    }
        labelled_queries = {q for s in sets for q in s.queries}
        weak_labelled = {
            m: {q: w for q, w in rankers[m].weak.items() if q in labelled_queries}  # type: ignore[attr-defined]
            for m in PRODUCT
        }
        empty = no_match(rankers)
        empty_fresh = no_match(rankers, labelled.FRESH_NO_MATCH_QUERIES)
    print(f"{len(papers)} papers; {time.perf_counter() - started:.0f} s")
    names = list(next(iter(results.values())))
    for prefix in ("graded-74k", "known-item", "topics"):
        group = [n for n in names if n.startswith(prefix)]
        for line in table({m: {s: by[s] for s in group} for m, by in results.items()}):
            print(line)
        print()
    for title, counts in (("no-match queries", empty), ("fresh no-match queries", empty_fresh)):
        print(f"{title} ({len(labelled.FRESH_NO_MATCH_QUERIES)}): " + ", ".join(
            f"{m} {e['empty']} empty, {e['weak']} weak / {e['mean_results']:.0f} results"
            for m, e in counts.items()
        ))  # fmt: skip
    print("labelled queries shown as weak matches: " + ", ".join(
        f"{m} {sum(flagged.values())}" for m, flagged in weak_labelled.items()
    ))  # fmt: skip
    save(f"search_quality-{args.split}",
         {"methods": results, "no_match": empty, "no_match_fresh": empty_fresh})  # fmt: skip
