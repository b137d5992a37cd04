"""Reasons: one short line per cause, in the order a reader checks them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dailypapers.foryou.rules import compile_rule, follow_matches, matches
from dailypapers.foryou.signals import Signals
from dailypapers.foryou.space import PaperSpace

MAX_TITLE = 80
# a second library paper is named as a reason only when it is this close (cosine)
MIN_SIMILARITY = 0.35


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def _library_reason(titles: list[str], upvoted: bool) -> str:
    named = " and ".join(f"“{_short(t)}”" for t in titles)
    return f"like {named}, which you upvoted" if upvoted else f"like {named} in your library"


def _similar(
    pos_ids: Sequence[str], pos_titles: Sequence[str], pos_vectors: np.ndarray,
    space: PaperSpace, cand: np.ndarray, upvote_only: set[str],
) -> list[str | None]:  # fmt: skip
    if not len(pos_ids) or not pos_titles or space.meta is None or not len(cand):
        return [None] * len(cand)
    sims = space.vectors[cand] @ pos_vectors.T
    # the two closest positives of each row, ties to the earlier one (a stable sort's order)
    first = sims.argmax(axis=1)
    second = np.full(len(cand), -1)
    if sims.shape[1] > 1:
        masked = sims.copy()
        masked[np.arange(len(cand)), first] = -np.inf
        second = masked.argmax(axis=1)
    out: list[str | None] = []
    for k in range(len(cand)):
        top = [int(first[k])] + ([int(second[k])] if second[k] >= 0 else [])
        # the closest is always named; a second one only when it is close too
        best = [b for i, b in enumerate(top) if i == 0 or sims[k, b] >= MIN_SIMILARITY]
        ids = [pos_ids[b] for b in best]
        titles = [pos_titles[b] for b in best]
        out.append(_library_reason(titles, all(i in upvote_only for i in ids)))
    return out


def explain(
    signals: Signals,
    pos_ids: Sequence[str],
    pos_titles: Sequence[str],
    pos_vectors: np.ndarray,
    space: PaperSpace,
    cand: np.ndarray,
    always: np.ndarray,
    content_only: bool,
) -> list[tuple[str, ...]]:
    """The reasons of each candidate row: rules, follows, similar library papers (``pos_*``:
    the user's positive papers, their titles and vectors), popularity. Each row's reasons
    depend on that paper alone."""
    kinds: dict[str, set[str]] = {}
    for sig in signals.positives():
        kinds.setdefault(sig.paper_id, set()).add(sig.kind)
    upvote_only = {pid for pid, ks in kinds.items() if ks == {"upvote"}}
    similar = _similar(pos_ids, pos_titles, pos_vectors, space, cand, upvote_only)
    always_rules = [(r.query, compile_rule(r.query)) for r in signals.rules if r.action == "always"]
    out: list[tuple[str, ...]] = []
    for k, row in enumerate(cand.tolist()):
        lines: list[str] = []
        meta = space.meta[row] if space.meta is not None else None
        if meta is not None and always[k]:
            lines += [f"matches your rule “{q}”" for q, p in always_rules if matches(p, meta)]
        if meta is not None and not content_only:
            lines += [_follow_reason(f.kind, f.value) for f in signals.follows
                      if follow_matches(f.kind, f.value, meta)]  # fmt: skip
        if similar[k]:
            lines.append(str(similar[k]))
        if not len(pos_ids) and not lines and space.popularity is not None:
            lines.append("popular in this period")
        out.append(tuple(lines))
    return out


def _follow_reason(kind: str, value: str) -> str:
    if kind == "search":
        return f"matches your search “{value}”"
    if kind == "category":
        return f"in {value}, which you follow"
    return f"you follow {value}"
