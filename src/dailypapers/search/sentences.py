"""Split an abstract into sentences, the unit of facet-aware similarity.

A small rule-based splitter: a sentence ends at ``.``, ``?`` or ``!`` followed by white space
and an upper-case letter, digit or opening bracket, unless the period belongs to a common
abbreviation (``e.g.``, ``et al.``, ``Fig.``), an initial (``J. Smith``) or a number
(``3.5``). Abstracts are short and regular, so this matches a trained splitter closely
without a model; it needs nothing but the text, which is what every paper has.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

# Abbreviations after which a period does not end a sentence (compared lower-cased).
_ABBREVIATIONS = frozenset(
    ("e.g", "i.e", "etc", "al", "cf", "vs", "fig", "figs", "eq", "eqs", "sec", "no", "approx",
     "resp", "ca", "viz", "dr", "mr", "ms", "prof", "st", "tab", "ref", "refs", "ch", "vol",
     "pp", "u.s", "u.k")
)  # fmt: skip
_BOUNDARY = re.compile(r"(?<=[.?!])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_MIN_CHARS = 12  # shorter pieces ("II.", "(a)") are glued to their neighbour


def _ends_with_abbreviation(piece: str) -> bool:
    words = piece.rstrip().split()
    if not words:
        return False
    last = words[-1].strip(".?!\"'()[]").lower()
    if last in _ABBREVIATIONS:
        return True
    # A single capital letter followed by a period is an initial (J. Smith), not an end.
    return len(last) == 1 and last.isalpha() and words[-1].endswith(".")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` (an abstract) into sentences, keeping their order and wording."""
    text = " ".join(text.split())
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        piece = text[start : match.start()]
        if _ends_with_abbreviation(piece):
            continue
        pieces.append(piece.strip())
        start = match.end()
    pieces.append(text[start:].strip())
    return _merge_short([p for p in pieces if p])


def _merge_short(pieces: list[str]) -> list[str]:
    """Glue fragments too short to be a sentence onto the following (or previous) one."""
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        piece = f"{carry} {piece}".strip() if carry else piece
        if len(piece) < _MIN_CHARS:
            carry = piece
            continue
        carry = ""
        merged.append(piece)
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    return merged
