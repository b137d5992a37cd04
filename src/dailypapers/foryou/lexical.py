"""Lexical evidence: hashed word and bigram counts, weighted by tf-idf over the request's pool.

The counts of one paper depend only on its text, so they can be computed once per paper (the
evaluation does it for the whole corpus; the web process keeps an LRU of them). The ranker's
idf weights come from the papers its model is fitted on (the user's signal papers, the
background and reference samples), never from the candidates: the fitted model is then the
same for every window, and a paper's score does not depend on which other papers it is
ranked with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

N_FEATURES = 2**20
_WORDS = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"  # as arxiv-sanity: words that start with a letter


def vectorizer() -> HashingVectorizer:
    """Raw term counts of words and word pairs, stop words dropped (no state: nothing to fit)."""
    return HashingVectorizer(
        n_features=N_FEATURES, alternate_sign=False, norm=None, ngram_range=(1, 2),
        stop_words=sorted(ENGLISH_STOP_WORDS), token_pattern=_WORDS, strip_accents="unicode",
        dtype=np.float32,
    )  # fmt: skip


def counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed term counts, one row per text."""
    return sp.csr_matrix(vectorizer().transform(list(texts)))


def doc_freq(rows: sp.csr_matrix) -> np.ndarray:
    """How many rows hold each hashed term."""
    return np.bincount(rows.indices, minlength=rows.shape[1]).astype(np.float32)


def idf_weights(freq: np.ndarray, n: int, *, rare: bool = False) -> np.ndarray:
    """Smooth idf from document frequencies over ``n`` documents (float32, one per hashed term).

    Terms in more than a tenth of the documents get no weight, nor do terms seen in a single
    document (arxiv-sanity's ``max_df``/``min_df`` idea, scaled to a pool of a few thousand
    papers) unless ``rare``: then terms seen in one document or none weigh as one seen once.
    """
    idf = np.log((1.0 + n) / (1.0 + np.maximum(freq, 1.0 if rare else 0.0))) + 1.0
    dropped = freq > max(2.0, 0.1 * n)
    if not rare:
        dropped |= freq < 2
    idf[dropped] = 0.0
    return np.asarray(idf, dtype=np.float32)


def weigh(rows: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times ``idf``, rows L2-normalised; terms without weight are dropped from
    the matrix (not stored as zeros), which keeps products and the SVM's passes short.

    Each row depends only on itself and ``idf``: weighing papers one by one or together gives
    the same rows.
    """
    out = sp.csr_matrix(rows, dtype=np.float32, copy=True)
    out.data = (1.0 + np.log(out.data)) * idf[out.indices]
    out.eliminate_zeros()
    row_of = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=np.square(out.data, dtype=np.float64),
                                minlength=out.shape[0]))  # fmt: skip
    norms[norms == 0] = 1.0
    out.data = (out.data / norms[row_of]).astype(np.float32)
    return out


def tfidf(
    rows: sp.csr_matrix,
    idf_rows: sp.csr_matrix | None = None,
    df: tuple[np.ndarray, int] | None = None,
) -> sp.csr_matrix:
    """Sublinear tf times smooth idf, rows L2-normalised; idf from ``idf_rows`` (default ``rows``).

    ``df`` gives document frequencies and their document count directly (the whole corpus's).
    See ``idf_weights`` for the terms that get no weight.
    """
    if df is None:
        source = rows if idf_rows is None else idf_rows
        freq, n = doc_freq(source), source.shape[0]
    else:
        freq, n = df
    return weigh(rows, idf_weights(freq, n))
