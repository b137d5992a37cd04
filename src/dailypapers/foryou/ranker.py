"""The "For you" ranking: a pure function of a user's signals and the papers.

Two steps, with fixed seeds: ``fit`` turns the signals (and the papers they name, plus the
background and reference samples) into a ``Model``; ``score`` ranks candidates with it.
The model never looks at the candidates and each candidate's score depends only on the model
and that paper, so a model may be kept and reused (``foryou.memo``, keyed by the exact signal
set) and a window ranked once serves every page of it: the result is the same, id for id and
score for score, as fitting afresh. Two users with the same signals get the same model
(exact forgetting, see docs/for-you.md).

Scores are in standard units against a reference sample of ordinary papers: 0 is a typical
paper, 2 is two standard deviations above one. That makes a threshold meaningful whatever
the window ("nothing relevant this week" is a week where no paper reaches it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from dailypapers.foryou import lexical, numeric
from dailypapers.foryou.explain import explain
from dailypapers.foryou.nearest import Positives
from dailypapers.foryou.numeric import by_halves, single_threaded
from dailypapers.foryou.rules import compile_rule, follow_matches, matches
from dailypapers.foryou.signals import Decay, Signals, weighted
from dailypapers.foryou.space import PaperSpace, background_sample
from dailypapers.foryou.termrows import TermRows, TermWeights

METHODS = ("hybrid", "dense", "lexical", "centroid")


@dataclass(frozen=True, slots=True)
class RankerConfig:
    """Every knob of the ranking; the defaults are the ones tuned on the development users."""

    method: str = "hybrid"
    dense_c: float = 1.0  # "logistic": inverse regularisation
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
    rare_terms: bool = True  # idf: terms seen in 0-1 background papers weigh as seen once
    dense_model: str = "whitened"  # or "logistic" (regression, C = dense_c)
    dense_shrink: float = 1.0  # "whitened": ridge (times the mean variance) on the covariance
    lexical_model: str = "svm"  # or "rocchio": the class means' difference of tf-idf rows
    lexical_tol: float = 1e-2  # the SVM's stopping tolerance (eval figures as at 1e-3)
    seed: int = 20260301


@dataclass(frozen=True, slots=True)
class Scored:
    """A ranked paper: its score (standard units) and why it was chosen."""

    paper_id: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Background:
    """The user-independent part of every fit over one pool: a fixed-seed sample of it split
    into training negatives and the reference sample (ids, vectors, tf-idf rows) and the idf.

    The idf comes from these sampled papers alone, so it is the same for every user and the
    sample's tf-idf rows are weighted once (kept per process, ``foryou.personal``); the
    training rows are kept numbered over the terms they use (``train_terms``, what the SVM
    is fitted on). A user's own signal papers are left out of the sample at fit time
    (``Background.mask``).
    """

    train_ids: tuple[str, ...]
    ref_ids: tuple[str, ...]
    train_vectors: np.ndarray
    ref_vectors: np.ndarray
    idf: np.ndarray
    train_terms: TermRows  # the training sample's tf-idf rows (float64, for the SVM)
    ref_terms: TermRows  # the reference sample's tf-idf rows
    whitening: np.ndarray | None = None  # (covariance + ridge)^-1 of the training vectors

    def mask(self, taken: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the training and reference samples that are not among ``taken``."""
        train = np.asarray([i not in taken for i in self.train_ids], dtype=bool)
        ref = np.asarray([i not in taken for i in self.ref_ids], dtype=bool)
        return train, ref


def background(space: PaperSpace, pool: Sequence[str], config: RankerConfig | None = None
               ) -> Background:  # fmt: skip
    """Sample ``pool`` (papers ``space`` holds) once for every user: see ``Background``."""
    cfg = config or RankerConfig()
    free = [pid for pid in pool if pid in space.index]
    sample = background_sample(free, cfg.background + cfg.reference, cfg.seed)
    order = np.random.default_rng(cfg.seed + 1).permutation(len(sample))
    n_ref = min(cfg.reference, len(sample) // 3)
    ref_ids = [sample[i] for i in sorted(order[:n_ref].tolist())]
    train_ids = [sample[i] for i in sorted(order[n_ref:].tolist())]
    ref, train = space.rows(ref_ids), space.rows(train_ids)
    if space.doc_freq is not None:
        freq, n = space.doc_freq
    else:
        both = np.concatenate([train, ref])
        freq, n = lexical.doc_freq(sp.csr_matrix(space.counts[both])), len(both)
    idf = lexical.idf_weights(freq, n, rare=cfg.rare_terms)
    with single_threaded():
        vectors = space.vectors[train].astype(np.float64)
        whitening = None
        if cfg.dense_model == "whitened" and len(train) > 1:
            cov = np.cov(vectors, rowvar=False)
            ridge = cfg.dense_shrink * float(np.trace(cov)) / cov.shape[0]
            whitening = np.linalg.inv(cov + ridge * np.eye(cov.shape[0]))
        return Background(
            tuple(train_ids), tuple(ref_ids), space.vectors[train].copy(),
            space.vectors[ref].copy(), idf,
            TermRows.of(lexical.weigh(sp.csr_matrix(space.counts[train]), idf), np.float64),
            TermRows.of(lexical.weigh(sp.csr_matrix(space.counts[ref]), idf)), whitening,
        )  # fmt: skip


@dataclass(slots=True)
class _Fit:
    pos: np.ndarray
    pos_w: np.ndarray
    neg: np.ndarray
    neg_w: np.ndarray
    train: np.ndarray  # which rows of the background's training sample are used
    ref: np.ndarray  # which rows of the reference sample are used


@dataclass(frozen=True, slots=True)
class Scale:
    """Standard units against the reference sample: ``(score - mean) / div``."""

    mean: float = 0.0
    div: float = 1.0

    @classmethod
    def of(cls, ref: np.ndarray) -> Scale:
        std = float(ref.std()) if len(ref) > 1 else 0.0
        return cls(float(ref.mean()) if len(ref) else 0.0, std if std > 1e-9 else 1.0)

    def apply(self, scores: np.ndarray) -> np.ndarray:
        return (scores - self.mean) / self.div


@dataclass(frozen=True, slots=True)
class Model:
    """A user's fitted content model: what ``score`` needs, and nothing about any candidate.

    ``method`` is ``none`` without positives (popularity and follows rank), else the method
    used (``centroid`` below ``min_positives``). ``scales`` holds each part's standard-unit
    scale, measured on the reference sample at fit time.
    """

    method: str
    seen: frozenset[str]
    pos_ids: tuple[str, ...] = ()
    pos_titles: tuple[str, ...] = ()
    pos_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    scales: dict[str, Scale] = field(default_factory=dict)
    centre: np.ndarray | None = None
    dense: tuple[np.ndarray, float] | None = None  # weights and intercept over the vectors
    idf: np.ndarray | None = None  # the background's (shared, not copied)
    svm: tuple[TermWeights, float] | None = None
    pos_tfidf: Positives | None = None
    knn_k: int = 2

    @property
    def has_positives(self) -> bool:
        return self.method != "none"


def _labels(signals: Signals, space: PaperSpace, as_of: dt.date, cfg: RankerConfig) -> _Fit:
    pos = weighted(signals.positives(), as_of, cfg.decay)
    neg = weighted(signals.negatives(), as_of, cfg.decay)
    pos_rows = space.rows(pos.ids)
    pos_w = np.asarray([w for i, w in zip(pos.ids, pos.weights, strict=True) if i in space.index])
    neg_rows = space.rows(neg.ids)
    neg_w = np.asarray([w for i, w in zip(neg.ids, neg.weights, strict=True) if i in space.index])
    none = np.zeros(0, dtype=bool)
    return _Fit(pos_rows, pos_w, neg_rows, neg_w, none, none)


def label_key(signals: Signals, as_of: dt.date, cfg: RankerConfig) -> tuple:
    """What a fitted model depends on among the signals once ``as_of`` is known: the weighted
    positive and negative paper ids (weights after decay). Windows whose signal weights are
    equal (e.g. past weeks, before any signal was given) share one model."""
    pos = weighted(signals.positives(), as_of, cfg.decay)
    neg = weighted(signals.negatives(), as_of, cfg.decay)
    return (tuple(pos.ids), tuple(pos.weights), tuple(neg.ids), tuple(neg.weights))


def _train(fit: _Fit, cfg: RankerConfig) -> tuple[np.ndarray, np.ndarray]:
    """Labels and sample weights of the rows (positives, negatives, background); each class
    carries half of the total weight."""
    n_bg = int(fit.train.sum())
    y = np.concatenate([np.ones(len(fit.pos)), np.zeros(len(fit.neg) + n_bg)])
    neg_w = np.concatenate([fit.neg_w * cfg.negative_weight, np.ones(n_bg)])
    pos_w = fit.pos_w / fit.pos_w.sum()
    neg_w = neg_w / max(neg_w.sum(), 1e-9)
    weights = np.concatenate([pos_w, neg_w]) * len(y) / 2.0
    return y, weights


def _top(vecs: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
    """Mean of the ``k`` highest cosines to a positive: a paper close to one library paper
    counts even when the library spans several topics (a linear model averages). On tf-idf
    rows: ``nearest.Positives``."""
    sims = vecs @ pos.T
    k = min(k, sims.shape[1])
    if k == 2 and len(sims):  # the default: two passes of max instead of a partition
        first = sims.max(axis=1)
        sims[np.arange(len(sims)), sims.argmax(axis=1)] = -np.inf
        return np.stack([sims.max(axis=1), first], axis=1).mean(axis=1)
    if k < sims.shape[1]:
        sims = np.partition(sims, sims.shape[1] - k, axis=1)
    return np.sort(sims[:, -k:], axis=1).mean(axis=1)


def _svm_scores(feats: TermRows, svm: tuple[TermWeights, float]) -> np.ndarray:
    weights, intercept = svm
    return feats.dot(weights) + intercept


def _class_means_coefficients(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row coefficients whose weighted sum of rows is the weighted mean of the positive rows
    minus that of the negative rows."""
    pos, neg = w * y, w * (1.0 - y)
    return pos / pos.sum() - neg / max(neg.sum(), 1e-12)


def _fit_dense(space: PaperSpace, bg: Background, fit: _Fit, cfg: RankerConfig
               ) -> tuple[np.ndarray, float]:  # fmt: skip
    """Weights and intercept of a linear score over the vectors."""
    y, w = _train(fit, cfg)
    vecs = space.vectors
    x = np.concatenate([vecs[fit.pos], vecs[fit.neg], bg.train_vectors[fit.train]])
    if cfg.dense_model == "whitened" and bg.whitening is not None:
        gap = _class_means_coefficients(y, w).astype(np.float32) @ x
        return bg.whitening @ gap.astype(np.float64), 0.0
    model = LogisticRegression(C=cfg.dense_c, max_iter=500)
    model.fit(x, y, sample_weight=w)
    return model.coef_.ravel().copy(), float(model.intercept_[0])


def _fit_lexical(space: PaperSpace, bg: Background, fit: _Fit, cfg: RankerConfig
                 ) -> tuple[sp.csr_matrix, TermWeights, float]:  # fmt: skip
    """The positives' tf-idf rows and the linear SVM over the signal papers' and the
    background's tf-idf rows (the background's idf)."""
    y, w = _train(fit, cfg)
    own = lexical.weigh(sp.csr_matrix(space.counts[np.concatenate([fit.pos, fit.neg])]),
                        bg.idf)  # fmt: skip
    extra, feats = bg.train_terms.stacked_below(own, fit.train)
    if cfg.lexical_model == "rocchio":
        per_row = np.repeat(_class_means_coefficients(y, w), np.diff(feats.indptr))
        gap = np.bincount(feats.indices, weights=feats.data * per_row, minlength=feats.shape[1])
        return own[: len(fit.pos)], TermWeights(bg.train_terms.column, gap, extra), 0.0
    model = LinearSVC(C=cfg.lexical_c, random_state=cfg.seed, max_iter=5000, tol=cfg.lexical_tol)
    # tf-idf rows and weights are finite by construction and the parameters are fixed: the
    # checks cost about 0.5 ms of a 20 ms fit and change nothing
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        model.fit(feats, y, sample_weight=w)
    weights = TermWeights(bg.train_terms.column, model.coef_.ravel().copy(), extra)
    return own[: len(fit.pos)], weights, float(model.intercept_[0])


def _parts(method: str, cfg: RankerConfig) -> tuple[str, ...]:
    """The parts a method scores with (``centroid`` alone below ``min_positives``)."""
    if method in ("none", "centroid", "dense", "lexical"):
        return () if method == "none" else (method,)
    weights = {"dense": cfg.dense_weight, "knn": cfg.knn_weight,
               "lexical": cfg.lexical_weight, "lexical_knn": cfg.lexical_knn_weight}  # fmt: skip
    names = [n for n, w in weights.items() if w]
    if cfg.lexical_knn_weight and "lexical" not in names:
        names.append("lexical")  # the tf-idf features are fitted with the SVM
    return tuple(names)


def fit(
    signals: Signals,
    space: PaperSpace,
    *,
    pool: Sequence[str],
    as_of: dt.date,
    config: RankerConfig | None = None,
    shared: Background | None = None,
) -> Model:
    """The user's model: labels from the signals (weights decayed to ``as_of``), background
    and reference samples from ``pool`` (the user's own signal papers left out), and each part
    fitted and scaled. ``space`` must hold the signal papers, and the pool unless ``shared``
    (``background(space, pool, config)``, user-independent) is given; it need not hold any
    candidate."""
    cfg = config or RankerConfig()
    bg = shared if shared is not None else background(space, pool, cfg)
    with single_threaded():
        return _fit(signals, space, bg, as_of, cfg)


def _fit(
    signals: Signals, space: PaperSpace, bg: Background, as_of: dt.date, cfg: RankerConfig
) -> Model:
    fit = _labels(signals, space, as_of, cfg)
    seen = frozenset(space.ids[r] for r in [*fit.pos.tolist(), *fit.neg.tolist()])
    if not len(fit.pos):
        return Model("none", seen)
    fit.train, fit.ref = bg.mask(frozenset(s.paper_id for s in signals.papers))
    method = cfg.method if len(fit.pos) >= cfg.min_positives else "centroid"
    vecs, ref = space.vectors, bg.ref_vectors[fit.ref]
    model: dict = {"method": method, "seen": seen, "knn_k": cfg.knn_k,
                   "pos_ids": tuple(space.ids[r] for r in fit.pos.tolist()),
                   "pos_vectors": vecs[fit.pos].copy()}  # fmt: skip
    if space.meta is not None:
        model["pos_titles"] = tuple(space.meta[r].title for r in fit.pos.tolist())
    scales: dict[str, Scale] = {}
    parts = _parts(method, cfg)
    if "centroid" in parts:
        centre = (vecs[fit.pos] * fit.pos_w[:, None]).sum(axis=0)
        if len(fit.neg):
            centre -= 0.5 * (vecs[fit.neg] * fit.neg_w[:, None]).sum(axis=0) / len(fit.neg)
        model["centre"] = centre
        scales["centroid"] = Scale.of(ref @ centre)
    if "dense" in parts:
        dense = model["dense"] = _fit_dense(space, bg, fit, cfg)
        scales["dense"] = Scale.of(ref @ dense[0] + dense[1])
    if "knn" in parts:
        scales["knn"] = Scale.of(_top(ref, vecs[fit.pos], cfg.knn_k))
    if "lexical" in parts:
        pos_feats, weights, intercept = _fit_lexical(space, bg, fit, cfg)
        ref_feats = bg.ref_terms.take(np.flatnonzero(fit.ref))
        model["idf"], model["svm"] = bg.idf, (weights, intercept)
        scales["lexical"] = Scale.of(_svm_scores(ref_feats, model["svm"]))
        if "lexical_knn" in parts:
            positives = model["pos_tfidf"] = Positives.of(pos_feats)
            scales["lexical_knn"] = Scale.of(positives.top_mean(ref_feats, cfg.knn_k))
    return Model(scales=scales, **model)


def components(
    model: Model, space: PaperSpace, cand: np.ndarray, cfg: RankerConfig
) -> dict[str, np.ndarray]:
    """Standard scores of the model's parts for candidate rows: ``centroid``, ``dense``
    (logistic regression on vectors), ``lexical`` (linear SVM on tf-idf), ``knn`` and
    ``lexical_knn`` (similarity to the nearest positives, on vectors and on tf-idf)."""
    out: dict[str, np.ndarray] = {}
    vecs = space.vectors[cand]
    if model.centre is not None:
        out["centroid"] = model.scales["centroid"].apply(vecs @ model.centre)
    if model.dense is not None:
        coef, intercept = model.dense
        out["dense"] = model.scales["dense"].apply(vecs @ coef + intercept)
    if "knn" in model.scales:
        near = by_halves(lambda part: _top(part, model.pos_vectors, model.knn_k), vecs,
                         numeric.THREADS)  # fmt: skip
        out["knn"] = model.scales["knn"].apply(near)
    if model.idf is not None and model.svm is not None:
        feats = space.term_rows(model.idf, cand)
        if cfg.lexical_weight or model.method == "lexical":
            out["lexical"] = model.scales["lexical"].apply(_svm_scores(feats, model.svm))
        if model.pos_tfidf is not None:
            near = model.pos_tfidf.top_mean(feats, model.knn_k)
            out["lexical_knn"] = model.scales["lexical_knn"].apply(near)
    return out


def model_scores(
    model: Model, space: PaperSpace, cand: np.ndarray, cfg: RankerConfig
) -> np.ndarray:
    """The content score of each candidate row, in standard units (zeros without positives)."""
    if not model.has_positives or not len(cand):
        return np.zeros(len(cand))
    parts = components(model, space, cand, cfg)
    if model.method in ("centroid", "dense", "lexical"):
        return parts[model.method]
    return combine(parts, cfg)


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


@dataclass(frozen=True, slots=True)
class Ranked:
    """A window ranked for a user, best first, without reasons: ids, scores, and whether an
    "always" rule brought each in. ``explain_ranked`` gives the reasons of any slice."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]
    always: tuple[bool, ...]


def score(
    signals: Signals,
    model: Model,
    space: PaperSpace,
    candidates: Sequence[str],
    config: RankerConfig | None = None,
) -> Ranked:
    """Rank ``candidates`` (which ``space`` must hold) with the user's ``model``.

    Papers the user already saved, upvoted or marked "not interested" are left out, as are
    papers a ``never`` rule matches. Each paper's score depends only on the model, the
    signals' follows and rules, and that paper (popularity aside: it is scaled within the
    candidates, and used only without positives).
    """
    cfg = config or RankerConfig()
    cand = space.rows(sorted({c for c in candidates if c not in model.seen}))
    cand, always = _apply_rules(signals, space, cand)
    with single_threaded():
        if model.has_positives:
            scores = model_scores(model, space, cand, cfg)
        else:
            scores = _popularity(space, cand) if not cfg.content_only else np.zeros(len(cand))
    scores = scores + _boosts(signals, space, cand, cfg) + cfg.always_boost * always
    order = sorted(range(len(cand)), key=lambda k: (-scores[k], space.ids[cand[k]]))
    return Ranked(
        ids=tuple(space.ids[cand[k]] for k in order),
        scores=tuple(round(float(scores[k]), 6) for k in order),
        always=tuple(bool(always[k]) for k in order),
    )


def explain_ranked(
    signals: Signals,
    model: Model,
    space: PaperSpace,
    ids: Sequence[str],
    always: Sequence[bool],
    config: RankerConfig | None = None,
) -> list[tuple[str, ...]]:
    """The reasons of ranked papers ``ids`` (which ``space`` must hold), each on its own."""
    cfg = config or RankerConfig()
    rows = space.rows(ids)
    with single_threaded():
        return explain(signals, model.pos_ids, model.pos_titles, model.pos_vectors, space, rows,
                       np.asarray(always, dtype=bool), cfg.content_only)  # fmt: skip


def rank(
    signals: Signals,
    space: PaperSpace,
    candidates: Sequence[str],
    *,
    pool: Sequence[str],
    as_of: dt.date,
    config: RankerConfig | None = None,
    explained: bool = True,
    shared: Background | None = None,
) -> list[Scored]:
    """Rank ``candidates`` for a user, best first: ``fit`` then ``score`` (and reasons).

    ``pool`` is where the background and reference samples come from (all papers with a
    vector, say); ``as_of`` is the day signal ages are counted to (the window's last day, not
    the clock, so that a past window ranks the same tomorrow). Papers the user already saved,
    upvoted or marked "not interested" are left out, as are papers a ``never`` rule matches.
    """
    cfg = config or RankerConfig()
    model = fit(signals, space, pool=pool, as_of=as_of, config=cfg, shared=shared)
    ranked = score(signals, model, space, candidates, cfg)
    reasons = (explain_ranked(signals, model, space, ranked.ids, ranked.always, cfg)
               if explained else [()] * len(ranked.ids))  # fmt: skip
    return [Scored(i, s, r) for i, s, r in zip(ranked.ids, ranked.scores, reasons, strict=True)]
