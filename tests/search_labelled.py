"""A small labelled set for search quality, built from the shared 74k corpus.

Two kinds of queries, because real users type both:
- known-item: a few content words from one paper's abstract; the paper is the answer
  (MRR@10) — exact words matter, BM25's strength;
- topics: a plain-language description of a field; papers of the matching arXiv category
  are relevant (precision@10) — meaning matters, the embedding's strength.
"""

from __future__ import annotations

import random
import re

TOPICS: list[tuple[str, set[str]]] = [
    ("robots learning to grasp and manipulate objects", {"cs.RO"}),
    ("speech synthesis and audio generation", {"cs.SD", "eess.AS"}),
    ("recommender systems and document retrieval", {"cs.IR"}),
    ("channel capacity and coding for wireless communication", {"cs.IT"}),
    ("user studies of how people interact with interfaces", {"cs.HC"}),
    ("societal impact, ethics and policy of artificial intelligence", {"cs.CY"}),
    ("cooperation and coordination among multiple agents", {"cs.MA"}),
    ("auctions, equilibria and mechanism design", {"cs.GT"}),
    ("finding and repairing bugs in software", {"cs.SE"}),
    ("query processing in relational databases", {"cs.DB"}),
    ("attacks, malware and privacy protection", {"cs.CR"}),
    ("rendering meshes and 3D graphics", {"cs.GR"}),
    ("brain activity and neural recordings", {"q-bio.NC"}),
    ("hardware accelerators and chip design", {"cs.AR"}),
    ("training large models across many machines", {"cs.DC"}),
    ("radar and signal processing", {"eess.SP"}),
    ("feedback control and system stability", {"eess.SY", "cs.SY"}),
    ("community structure in social networks", {"cs.SI"}),
    ("algorithms for convex optimization", {"math.OC"}),
    ("video and multimedia streaming", {"cs.MM"}),
]

_STOP_WORDS = (
    "the a an of to in and for on with by we our is are this that from as be can which these "
    "its it at or their using based show propose proposed paper method approach results"
)
_STOP = set(_STOP_WORDS.split())


def known_item_queries(rows: list[dict], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(query, paper id): 3 to 6 consecutive content words from a paper's abstract."""
    rng = random.Random(seed)
    out = []
    for i in rng.sample(range(len(rows)), min(len(rows), count * 2)):
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z\-]+", rows[i]["abstract"])
                 if w.lower() not in _STOP]  # fmt: skip
        if len(words) < 20:
            continue
        start = rng.randrange(0, len(words) - 8)
        out.append((" ".join(words[start : start + rng.randint(3, 6)]).lower(), rows[i]["id"]))
        if len(out) >= count:
            break
    return out


def mrr_at_10(ranked: list[str], answer: str) -> float:
    return 1.0 / (ranked.index(answer) + 1) if answer in ranked[:10] else 0.0


def precision_at_10(ranked_categories: list[list[str]], wanted: set[str]) -> float:
    top = ranked_categories[:10]
    return sum(bool(set(c) & wanted) for c in top) / 10 if top else 0.0
