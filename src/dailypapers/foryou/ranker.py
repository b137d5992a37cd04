"""The "For you" ranking: a pure function of a user's signals and the papers.

Nothing is stored or cached between calls: the per-user models are fitted inside ``rank``
from the signals it is given, with fixed seeds, so two users with the same signals get the
same ids and the same scores (exact forgetting, see docs/for-you.md).

Scores are in standard units against a reference sample of ordinary papers: 0 is a typical
paper, 2 is two standard deviations above one. That makes a threshold meaningful whatever
the window ("nothing relevant this week" is a week where no paper reaches it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from dailypapers.foryou import lexical
from dailypapers.foryou.explain import explain
from dailypapers.foryou.rules import compile_rule, follow_matches, matches
from dailypapers.foryou.signals import Decay, Signals, weighted
from dailypapers.foryou.space import PaperSpace, background_sample

METHODS = ("hybrid", "dense", "lexical", "centroid")


@dataclass(frozen=True, slots=True)
class RankerConfig:
    """Every knob of the ranking; the defaults are the ones tuned on the development users."""

    method: str = "hybrid"
    dense_c: float = 1.0  # logistic regression inverse regularisation
    lexical_c: float = 0.1  # linear SVM C
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    knn_weight: float = 0.5  # nearest library papers, on vectors
    lexical_knn_weight: float = 0.5  # nearest library papers, on tf-idf
    knn_k: int = 2
    negative_weight: float = 20.0  # one "not interested" counts as this many background papers
    background: int = 3000  # training negatives sampled from the papers
    reference: int = 500  # other papers that set the score scale
    min_positives: int = 3  # below this, centroid similarity
    decay: Decay = field(default_factory=Decay)
    follow_boost: float = 1.0
    always_boost: float = 3.0
    content_only: bool = False  # no author/organization/follow evidence (evaluation)
    seed: int = 20260301


@dataclass(frozen=True, slots=True)
class Scored:
    """A ranked paper: its score (standard units) and why it was chosen."""

    paper_id: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class _Fit:
    pos: np.ndarray
    pos_w: np.ndarray
    neg: np.ndarray
    neg_w: np.ndarray
    train_bg: np.ndarray
    ref: np.ndarray


def _labels(signals: Signals, space: PaperSpace, as_of: dt.date, cfg: RankerConfig) -> _Fit:
    pos = weighted(signals.positives(), as_of, cfg.decay)
    neg = weighted(signals.negatives(), as_of, cfg.decay)
    pos_rows = space.rows(pos.ids)
    pos_w = np.asarray([w for i, w in zip(pos.ids, pos.weights, strict=True) if i in space.index])
    neg_rows = space.rows(neg.ids)
    neg_w = np.asarray([w for i, w in zip(neg.ids, neg.weights, strict=True) if i in space.index])
    return _Fit(pos_rows, pos_w, neg_rows, neg_w, np.zeros(0, np.int64), np.zeros(0, np.int64))


def _backgrounds(space: PaperSpace, pool: Sequence[str], fit: _Fit, cfg: RankerConfig) -> None:
    taken = {space.ids[i] for i in [*fit.pos.tolist(), *fit.neg.tolist()]}
    free = [pid for pid in pool if pid not in taken and pid in space.index]
    sample = background_sample(free, cfg.background + cfg.reference, cfg.seed)
    order = np.random.default_rng(cfg.seed + 1).permutation(len(sample))
    n_ref = min(cfg.reference, len(sample) // 3)
    fit.ref = space.rows([sample[i] for i in sorted(order[:n_ref].tolist())])
    fit.train_bg = space.rows([sample[i] for i in sorted(order[n_ref:].tolist())])


def _train(fit: _Fit, cfg: RankerConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels and sample weights; each class carries half of the total weight."""
    rows = np.concatenate([fit.pos, fit.neg, fit.train_bg])
    y = np.concatenate([np.ones(len(fit.pos)), np.zeros(len(fit.neg) + len(fit.train_bg))])
    neg_w = np.concatenate([fit.neg_w * cfg.negative_weight, np.ones(len(fit.train_bg))])
    pos_w = fit.pos_w / fit.pos_w.sum()
    neg_w = neg_w / max(neg_w.sum(), 1e-9)
    weights = np.concatenate([pos_w, neg_w]) * len(rows) / 2.0
    return rows, y, weights


def _standard(scores: np.ndarray, ref: np.ndarray) -> np.ndarray:
    std = float(ref.std()) if len(ref) > 1 else 0.0
    return (scores - float(ref.mean()) if len(ref) else scores) / (std if std > 1e-9 else 1.0)


def _dense(space: PaperSpace, fit: _Fit, cand: np.ndarray, cfg: RankerConfig) -> np.ndarray:
    rows, y, w = _train(fit, cfg)
    model = LogisticRegression(C=cfg.dense_c, max_iter=500)
    model.fit(space.vectors[rows], y, sample_weight=w)
    return _standard(
        model.decision_function(space.vectors[cand]),
        model.decision_function(space.vectors[fit.ref]),
    )


Feats: TypeAlias = np.ndarray | sp.csr_matrix


def _similarities(feats: Feats, pos: Feats) -> np.ndarray:
    sims = feats @ pos.T
    if isinstance(sims, np.ndarray):
        return sims
    return np.asarray(sp.csr_matrix(sims).toarray())


def _knn(cand: Feats, ref: Feats, pos: Feats, k: int) -> np.ndarray:
    """Mean of the ``k`` highest similarities to a positive: a paper close to one library
    paper counts even when the library spans several topics (a linear model averages)."""

    def top(feats: Feats) -> np.ndarray:
        sims = _similarities(feats, pos)
        return np.sort(sims, axis=1)[:, -min(k, sims.shape[1]) :].mean(axis=1)

    return _standard(top(cand), top(ref))


def _lexical(
    space: PaperSpace, fit: _Fit, cand: np.ndarray, cfg: RankerConfig, knn: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The linear SVM's standard scores over tf-idf, and (``knn``) the nearest-positive ones."""
    rows, y, w = _train(fit, cfg)
    pool = np.unique(np.concatenate([rows, fit.ref, cand]))
    where = {int(r): i for i, r in enumerate(pool)}
    feats = lexical.tfidf(sp.csr_matrix(space.counts[pool]), df=space.doc_freq)

    def take(rs: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix(feats[[where[int(r)] for r in rs]])

    model = LinearSVC(C=cfg.lexical_c, random_state=cfg.seed, max_iter=5000)
    model.fit(take(rows), y, sample_weight=w)
    svm = _standard(model.decision_function(take(cand)), model.decision_function(take(fit.ref)))
    near = _knn(take(cand), take(fit.ref), take(fit.pos), cfg.knn_k) if knn else None
    return svm, near


def _centroid(space: PaperSpace, fit: _Fit, cand: np.ndarray) -> np.ndarray:
    centre = (space.vectors[fit.pos] * fit.pos_w[:, None]).sum(axis=0)
    if len(fit.neg):
        centre -= 0.5 * (space.vectors[fit.neg] * fit.neg_w[:, None]).sum(axis=0) / len(fit.neg)
    return _standard(space.vectors[cand] @ centre, space.vectors[fit.ref] @ centre)


def components(
    space: PaperSpace, fit: _Fit, cand: np.ndarray, cfg: RankerConfig
) -> dict[str, np.ndarray]:
    """Standard scores of the hybrid's parts that have a weight: ``dense`` (logistic
    regression on vectors), ``lexical`` (linear SVM on tf-idf), ``knn`` and ``lexical_knn``
    (similarity to the nearest positives, on vectors and on tf-idf)."""
    out: dict[str, np.ndarray] = {}
    if cfg.dense_weight:
        out["dense"] = _dense(space, fit, cand, cfg)
    if cfg.knn_weight:
        vecs = space.vectors
        out["knn"] = _knn(vecs[cand], vecs[fit.ref], vecs[fit.pos], cfg.knn_k)
    if cfg.lexical_weight or cfg.lexical_knn_weight:
        svm, near = _lexical(space, fit, cand, cfg, knn=bool(cfg.lexical_knn_weight))
        out["lexical"] = svm
        if near is not None:
            out["lexical_knn"] = near
    return out


def model_scores(space: PaperSpace, fit: _Fit, cand: np.ndarray, cfg: RankerConfig) -> np.ndarray:
    """The content score of each candidate row, in standard units (zeros without positives)."""
    if not len(fit.pos) or not len(cand):
        return np.zeros(len(cand))
    method = cfg.method if len(fit.pos) >= cfg.min_positives else "centroid"
    if method == "centroid":
        return _centroid(space, fit, cand)
    if method == "dense":
        return _dense(space, fit, cand, cfg)
    if method == "lexical":
        return _lexical(space, fit, cand, cfg, knn=False)[0]
    return combine(components(space, fit, cand, cfg), cfg)


def combine(parts: dict[str, np.ndarray], cfg: RankerConfig) -> np.ndarray:
    """The weighted mean of the parts' standard scores."""
    weights = {"dense": cfg.dense_weight, "lexical": cfg.lexical_weight, "knn": cfg.knn_weight,
               "lexical_knn": cfg.lexical_knn_weight}  # fmt: skip
    total = sum(weights[name] for name in parts)
    mix = sum(weights[name] * value for name, value in parts.items())
    # correlated standard scores do not add up to one: divide by the sum of the weights
    return np.asarray(mix, dtype=float) / (total or 1.0)


def _popularity(space: PaperSpace, cand: np.ndarray) -> np.ndarray:
    """Without positives: popularity, squeezed into (-0.5, 0.5) so follows come first."""
    if space.popularity is None or not len(cand):
        return np.zeros(len(cand))
    pop = np.log1p(np.maximum(space.popularity[cand], 0.0))
    return 0.5 * np.tanh((pop - pop.mean()) / (pop.std() or 1.0))


def _boosts(signals: Signals, space: PaperSpace, cand: np.ndarray, cfg: RankerConfig) -> np.ndarray:
    out = np.zeros(len(cand))
    if cfg.content_only or space.meta is None or not signals.follows:
        return out
    for k, row in enumerate(cand.tolist()):
        meta = space.meta[row]
        hits = sum(1 for f in signals.follows if follow_matches(f.kind, f.value, meta))
        out[k] = cfg.follow_boost * hits
    return out


def _apply_rules(
    signals: Signals, space: PaperSpace, cand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates left after ``never`` rules, and whether an ``always`` rule matched each."""
    if space.meta is None or not signals.rules:
        return cand, np.zeros(len(cand), dtype=bool)
    never = [compile_rule(r.query) for r in signals.rules if r.action == "never"]
    always = [compile_rule(r.query) for r in signals.rules if r.action == "always"]
    metas = [space.meta[r] for r in cand.tolist()]
    keep = np.asarray([not any(matches(q, m) for q in never) for m in metas], dtype=bool)
    hit = np.asarray([any(matches(q, m) for q in always) for m in metas], dtype=bool)
    return cand[keep], hit[keep]


def rank(
    signals: Signals,
    space: PaperSpace,
    candidates: Sequence[str],
    *,
    pool: Sequence[str],
    as_of: dt.date,
    config: RankerConfig | None = None,
    explained: bool = True,
) -> list[Scored]:
    """Rank ``candidates`` for a user, best first.

    ``pool`` is where the background and reference samples come from (all papers with a
    vector, say); ``as_of`` is the day signal ages are counted to (the window's last day, not
    the clock, so that a past window ranks the same tomorrow). Papers the user already saved,
    upvoted or marked "not interested" are left out, as are papers a ``never`` rule matches.
    """
    cfg = config or RankerConfig()
    fit = _labels(signals, space, as_of, cfg)
    seen = {space.ids[r] for r in [*fit.pos.tolist(), *fit.neg.tolist()]}
    cand = space.rows(sorted({c for c in candidates if c not in seen}))
    cand, always = _apply_rules(signals, space, cand)
    _backgrounds(space, pool, fit, cfg)
    if len(fit.pos):
        scores = model_scores(space, fit, cand, cfg)
    else:
        scores = _popularity(space, cand) if not cfg.content_only else np.zeros(len(cand))
    scores = scores + _boosts(signals, space, cand, cfg) + cfg.always_boost * always
    order = sorted(range(len(cand)), key=lambda k: (-scores[k], space.ids[cand[k]]))
    reasons = None
    if explained:
        reasons = explain(signals, space, cand, always, fit.pos, cfg.content_only)
    return [
        Scored(space.ids[cand[k]], round(float(scores[k]), 6), reasons[k] if reasons else ())
        for k in order
    ]
