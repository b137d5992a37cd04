"""TeX formulas in titles and abstracts (``$\\alpha$-divergence``): where they are, and their
plain-text reading for places that cannot render math (mail, chat messages).

Web pages render formulas as MathML (``web/latex.py``); e-mail clients and chat services
cannot, so they get ``plain``: each formula read as Unicode text by pylatexenc (``$\\alpha$``
becomes the Greek letter, ``$\\frac{1}{2}$`` becomes ``1/2``). The result is plain text, to be
escaped for its format like any other paper text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

# $$display$$, $inline$ (not an escaped \$, not empty, no line of prices "$5 and $6"), \(…\).
MATH = re.compile(
    r"(?<!\\)\$\$(?P<display>[^$]{1,400}?)\$\$"
    r"|(?<![\\$])\$(?P<inline>[^\s$](?:[^$]{0,398}[^\s$\\])?)\$(?!\d)"
    r"|\\\((?P<paren>.{1,400}?)\\\)",
    re.S,
)
MAX_FORMULAS = 40  # per text; the rest stays as source


def source(match: re.Match[str]) -> str:
    """The formula inside a ``MATH`` match, without its delimiters."""
    return match.group("display") or match.group("inline") or match.group("paren") or ""


@lru_cache(maxsize=1)
def _reader() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text")


@lru_cache(maxsize=8192)
def _formula(tex: str) -> str:
    try:
        text = str(_reader().latex_to_text(tex)).strip()
    except Exception:  # pylatexenc is lenient; a title must never break a mail
        return tex
    return text or tex


@lru_cache(maxsize=4096)
def plain(text: str | None) -> str:
    """``text`` with each formula replaced by its plain-text reading (at most
    ``MAX_FORMULAS``); text without formulas comes back unchanged."""
    text = text or ""
    if "$" not in text and "\\(" not in text:
        return text
    count = 0

    def read(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _formula(source(match).strip()) if count <= MAX_FORMULAS else match.group(0)

    return MATH.sub(read, text)
