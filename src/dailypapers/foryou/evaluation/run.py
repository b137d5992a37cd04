"""Run the protocol: score every simulated user's feed days with each method, then report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from dailypapers.foryou import lexical
from dailypapers.foryou.evaluation.corpus import Corpus
from dailypapers.foryou.evaluation.metrics import (
    METRICS,
    balanced_accuracy,
    bootstrap,
    paired,
    rank_of,
    ranking_metrics,
)
from dailypapers.foryou.evaluation.protocol import SimUser
from dailypapers.foryou.ranker import METHODS, RankerConfig, fit, rank, score
from dailypapers.foryou.signals import PaperSignal, Signals
from dailypapers.foryou.space import background_sample

BASELINES = ("centroid-baseline", "tfidf-svm", "random")
SVM_NEGATIVES = 5000  # arxiv-sanity trains against every other paper; a sample keeps it fast
Scorer = Callable[[Corpus, SimUser, np.ndarray, list[str]], np.ndarray]


@dataclass(slots=True)
class Results:
    """Per-user values of each metric for each method, users in a fixed order."""

    users: list[SimUser]
    values: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _signals(corpus: Corpus, user: SimUser) -> Signals:
    return Signals(papers=tuple(
        PaperSignal(corpus.ids[r], "save", dt.datetime.combine(corpus.days[r], dt.time()))
        for r in user.library
    ))  # fmt: skip


def product_scorer(config: RankerConfig) -> Scorer:
    """The product's ranker in content-only mode (no author, organization or follow feature)."""
    cfg = replace(config, content_only=True)

    def score(corpus: Corpus, user: SimUser, cand: np.ndarray, pool: list[str]) -> np.ndarray:
        ranked = rank(_signals(corpus, user), corpus.space, [corpus.ids[r] for r in cand],
                      pool=pool, as_of=user.cutoff, config=cfg, explained=False)  # fmt: skip
        by_id = {s.paper_id: s.score for s in ranked}
        return np.asarray([by_id.get(corpus.ids[r], -np.inf) for r in cand])

    return score


# "Read and not saved" as a weak negative (issue 11: optional, measure before keeping it).
# The corpus has no reading logs, so reads are simulated: on each of the READ_DAYS feed days
# before the cutoff, the user opens the READS_PER_DAY papers the ranker shows first (other
# than their own) and saves none of them. Each read counts as READ_WEIGHT background papers
# (a "not interested" mark counts as 20).
READ_VARIANT = "hybrid+read"
READ_DAYS, READS_PER_DAY, READ_WEIGHT = 20, 3, 5.0
_DAYS: dict[int, tuple[list[dt.date], dict[dt.date, list[int]]]] = {}


def _days(corpus: Corpus) -> tuple[list[dt.date], dict[dt.date, list[int]]]:
    key = id(corpus)
    if key not in _DAYS:
        rows: dict[dt.date, list[int]] = {}
        for row, day in enumerate(corpus.days):
            rows.setdefault(day, []).append(row)
        _DAYS.clear()
        _DAYS[key] = (sorted(rows), rows)
    return _DAYS[key]


def simulated_reads(
    corpus: Corpus, user: SimUser, pool: list[str], cfg: RankerConfig, days: int, per_day: int
) -> list[tuple[str, dt.date]]:
    """The papers the user is taken to have opened and not saved before the cutoff."""
    signals = _signals(corpus, user)
    model = fit(signals, corpus.space, pool=pool, as_of=user.cutoff, config=cfg)
    own = set(user.library) | {h.row for h in user.heldout}
    ordered, by_day = _days(corpus)
    before = [d for d in ordered if d < user.cutoff][-days:]
    reads = []
    for day in before:
        shown = [corpus.ids[r] for r in by_day[day] if r not in own]
        top = score(signals, model, corpus.space, shown, cfg).ids[:per_day]
        reads += [(pid, day) for pid in top]
    return reads


def read_negative_scorer(
    config: RankerConfig,
    days: int = READ_DAYS,
    per_day: int = READS_PER_DAY,
    weight: float = READ_WEIGHT,
) -> Scorer:
    """The product ranker with simulated read-and-not-saved papers as weak negatives."""
    cfg = replace(config, content_only=True)

    def scorer(corpus: Corpus, user: SimUser, cand: np.ndarray, pool: list[str]) -> np.ndarray:
        reads = simulated_reads(corpus, user, pool, cfg, days, per_day)
        extra = tuple(PaperSignal(pid, "not_interested", dt.datetime.combine(day, dt.time()))
                      for pid, day in reads)  # fmt: skip
        signals = Signals(papers=(*_signals(corpus, user).papers, *extra))
        ranked = rank(signals, corpus.space, [corpus.ids[r] for r in cand], pool=pool,
                      as_of=user.cutoff, config=replace(cfg, negative_weight=weight),
                      explained=False)  # fmt: skip
        by_id = {s.paper_id: s.score for s in ranked}
        return np.asarray([by_id.get(corpus.ids[r], -np.inf) for r in cand])

    return scorer


def _centroid(corpus: Corpus, user: SimUser, cand: np.ndarray, pool: list[str]) -> np.ndarray:
    """zotero-arxiv-daily's idea: cosine similarity to the mean library vector."""
    vecs = corpus.space.vectors
    return vecs[cand] @ vecs[user.library].mean(axis=0)


_CORPUS_TFIDF: dict[int, sp.csr_matrix] = {}


def _corpus_tfidf(corpus: Corpus) -> sp.csr_matrix:
    key = id(corpus)
    if key not in _CORPUS_TFIDF:
        _CORPUS_TFIDF.clear()
        _CORPUS_TFIDF[key] = lexical.tfidf(corpus.space.counts)
    return _CORPUS_TFIDF[key]


def _tfidf_svm(corpus: Corpus, user: SimUser, cand: np.ndarray, pool: list[str]) -> np.ndarray:
    """arxiv-sanity's method: corpus tf-idf, linear SVM, library against the other papers."""
    feats = _corpus_tfidf(corpus)
    negs = corpus.space.rows(background_sample(pool, SVM_NEGATIVES, 0))
    rows = np.concatenate([np.asarray(user.library), negs])
    y = np.concatenate([np.ones(len(user.library)), np.zeros(len(negs))])
    model = LinearSVC(C=0.01, class_weight="balanced", max_iter=10000, tol=1e-6, random_state=0)
    model.fit(feats[rows], y)
    return np.asarray(model.decision_function(feats[cand]))


def _random(corpus: Corpus, user: SimUser, cand: np.ndarray, pool: list[str]) -> np.ndarray:
    seed = int.from_bytes(user.name.encode()[:8].ljust(8, b"\0"), "big")
    return np.random.default_rng(seed).random(len(cand))


def scorers(main: RankerConfig, extra: Iterable[str] = ()) -> dict[str, Scorer]:
    """The product ranker (named by its method), other product methods asked for, baselines."""
    out: dict[str, Scorer] = {main.method: product_scorer(main)}
    for method in extra:
        if method in METHODS and method not in out:
            out[method] = product_scorer(replace(main, method=method))
        elif method == READ_VARIANT:
            out[method] = read_negative_scorer(main)
    out.update({"centroid-baseline": _centroid, "tfidf-svm": _tfidf_svm, "random": _random})
    return out


def _pool(corpus: Corpus, user: SimUser, ordinals: np.ndarray) -> list[str]:
    own = {corpus.ids[r] for r in user.library} | {corpus.ids[h.row] for h in user.heldout}
    earlier = np.flatnonzero(ordinals < user.cutoff.toordinal())
    return [corpus.ids[r] for r in earlier.tolist() if corpus.ids[r] not in own]


def _user_values(user: SimUser, cand: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    where = {int(r): i for i, r in enumerate(cand.tolist())}
    per: dict[str, list[float]] = {m: [] for m in METRICS[:3]}
    first: list[bool] = []
    for h in user.heldout:
        pos = scores[where[h.row]]
        others = scores[[where[int(r)] for r in h.day_rows]]
        for name, value in ranking_metrics(rank_of(pos, others)).items():
            per[name].append(value)
        if len(h.hard):
            first.append(bool(pos > scores[[where[int(r)] for r in h.hard]].max()))
    out = {name: float(np.mean(v)) for name, v in per.items()}
    out["BA"] = balanced_accuracy(first)
    return out


def evaluate(
    corpus: Corpus,
    users: list[SimUser],
    methods: dict[str, Scorer],
    progress: Callable[[int], None] | None = None,
) -> Results:
    """Score every user's held-out days with every method."""
    ordinals = np.asarray([d.toordinal() for d in corpus.days])
    table: dict[str, dict[str, list[float]]] = {m: {k: [] for k in METRICS} for m in methods}
    for done, user in enumerate(users, 1):
        cand = np.unique(np.concatenate([np.asarray([h.row for h in user.heldout])]
                                        + [h.day_rows for h in user.heldout]))  # fmt: skip
        pool = _pool(corpus, user, ordinals)
        for name, scorer in methods.items():
            for metric, value in _user_values(user, cand, scorer(corpus, user, cand, pool)).items():
                table[name][metric].append(value)
        if progress:
            progress(done)
    values = {m: {k: np.asarray(v) for k, v in t.items()} for m, t in table.items()}
    return Results(users, values)


def _subset(results: Results, split: str) -> Results:
    keep = np.asarray([split == "all" or u.split == split for u in results.users], dtype=bool)
    users = [u for u, k in zip(results.users, keep, strict=True) if k]
    values = {m: {k: v[keep] for k, v in t.items()} for m, t in results.values.items()}
    return Results(users, values)


def report_lines(results: Results, main: str, seed: int) -> list[str]:
    """A table per half (dev, test): per-user means with 95% bootstrap intervals, then the
    paired differences of ``main`` against every other method; last, the overall line."""
    lines: list[str] = []
    for split in ("dev", "test"):
        part = _subset(results, split)
        if not part.users:
            continue
        held = sum(len(u.heldout) for u in part.users)
        lines += ["", f"{split} half: {len(part.users)} users, {held} held-out papers"]
        lines.append(f"{'method':<18}" + "".join(f"{m:<22}" for m in METRICS))
        for name, vals in part.values.items():
            cells = [str(bootstrap(vals[m], seed)) for m in METRICS]
            lines.append(f"{name:<18}" + "".join(f"{c:<22}" for c in cells))
        lines.append(f"paired differences, {main} minus (95% bootstrap interval):")
        for name, vals in part.values.items():
            if name != main:
                diffs = [paired(part.values[main][m], vals[m], seed).signed() for m in METRICS]
                lines.append(f"  {name:<18}" + "".join(f"{d:<26}" for d in diffs))
    overall = {m: float(np.nanmean(results.values[main][m])) for m in METRICS}
    lines.append(
        f"overall MRR={overall['MRR']:.3f} NDCG@10={overall['NDCG@10']:.3f} "
        f"recall@10={overall['recall@10']:.3f} BA={overall['BA']:.3f}"
    )
    return lines
