"""Guess which facet (background, method, result) each sentence of an abstract speaks to.

New papers come without sentence labels, so the facet must be computed from the abstract
alone. Two signals every abstract has, written by hand rather than learnt from labelled data:

- **position**: abstracts move from context and aims, through the approach, to findings, so
  the first sentences lean background, the middle method and the last result;
- **cue phrases**: "we propose", "our model" mark method; "outperforms", "results show",
  percentages mark result; "recently", "remains a challenge", "in this paper we study"
  mark background (objective sentences count as background, as in CSFCube's facets).

The output is a soft assignment (each row sums to 1), so a sentence that could be either
method or result contributes to both instead of being forced into one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["FACETS", "facet_index", "facet_weights"]

FACETS = ("background", "method", "result")

_CUES: dict[str, tuple[str, ...]] = {
    "background": (
        r"\brecent(ly)?\b",
        r"\b(has|have) (been|become|attracted|received|shown)\b",
        r"\b(is|are) (a|an|one of the) (key|important|fundamental|central|core|common|"
        r"challenging|difficult|popular)\b",
        r"\bchalleng",
        r"\bproblem of\b",
        r"\b(existing|previous|prior|traditional|conventional|current) (work|approach|method|"
        r"system|model|research|studies|techniques)",
        r"\bhowever\b",
        r"\bremains?\b",
        r"\b(lack|limited|little|few) ",
        r"\bwidely\b",
        r"\b(growing|increasing) ",
        r"\bin this (paper|work|article|study), we (study|investigate|address|consider|"
        r"explore|examine|focus|tackle|ask)",
        r"\b(aim|goal|objective) (of|is)\b",
        r"\bimportant\b",
        r"\bplays? an? ",
        r"\bmotivat",
        r"\bapplications? (such as|in)\b",
    ),
    "method": (
        r"\bwe (propose|present|introduce|develop|design|describe|formulate|model|use|"
        r"employ|apply|adopt|train|leverage|exploit|extend|build|construct|define|combine|"
        r"represent|learn|incorporate|cast|frame)",
        r"\bour (approach|method|model|"
        r"framework|system|algorithm|technique|architecture)\b",
        r"\b(based on|using|via|"
        r"by (using|combining|learning|modeling|leveraging))\b",
        r"\bconsists? of\b",
        r"\b(algorithm|architecture|framework|encoder|decoder|objective function|loss)\b",
        r"\bnovel\b",
        r"\b(first|then|next|second|finally), (we|the|it)\b",
        r"\bis (trained|"
        r"learned|used|applied|computed|modeled|represented)\b",
    ),
    "result": (
        r"\bresults?\b",
        r"\b(show|shows|showed|shown|demonstrate[sd]?|indicate[sd]?|"
        r"reveal[sd]?|suggest[sd]?|confirm[sd]?) (that|the|our|its)\b",
        r"\boutperform",
        r"\bachiev",
        r"\bimprove",
        r"\bstate[- ]of[- ]the[- ]art\b",
        r"\baccuracy\b",
        r"\bsignificant(ly)?\b",
        r"\bexperiment",
        r"\bevaluat",
        r"\bwe (find|found|observe|"
        r"report|obtain)\b",
        r"\d+(\.\d+)?\s?%",
        r"\bcompar(ed|able|ison)\b",
        r"\b(better|best|competitive|superior|gains?|effective(ness)?)\b",
        r"\b(f1|bleu|rouge|auc|precision|recall|error rate)\b",
        r"\bperform(s|ed|ance)\b",
    ),
}
_PATTERNS = {facet: [re.compile(p) for p in cues] for facet, cues in _CUES.items()}
_CUE_WEIGHT = 0.9  # one cue moves a sentence about as far as a third of the abstract does
_MAX_CUES = 3  # beyond a few matches, more cue words say little more


def facet_index(facet: str) -> int:
    """Column of ``facet`` in the arrays returned by :func:`facet_weights`."""
    try:
        return FACETS.index(facet)
    except ValueError:
        raise ValueError(f"unknown facet {facet!r}; choose one of {', '.join(FACETS)}") from None


def _position_logits(count: int) -> np.ndarray:
    """Prior from the sentence's relative place: 0 for the first sentence, 1 for the last."""
    place = np.linspace(0.0, 1.0, count) if count > 1 else np.array([0.0])
    background = 2.0 - 4.0 * place
    method = 1.0 - 6.0 * (place - 0.5) ** 2
    result = -3.5 + 5.0 * place
    return np.stack([background, method, result], axis=1)


def _cue_logits(sentence: str) -> np.ndarray:
    text = sentence.lower()
    counts = [min(_MAX_CUES, sum(bool(p.search(text)) for p in _PATTERNS[f])) for f in FACETS]
    return _CUE_WEIGHT * np.asarray(counts, dtype=np.float64)


def facet_weights(sentences: Sequence[str]) -> np.ndarray:
    """A soft facet assignment per sentence: shape ``(len(sentences), 3)``, rows sum to 1."""
    if not sentences:
        return np.zeros((0, len(FACETS)), dtype=np.float32)
    logits = _position_logits(len(sentences))
    logits += np.stack([_cue_logits(s) for s in sentences])
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)
