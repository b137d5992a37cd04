"""LaTeX in BibTeX values: decoding with pylatexenc, and the escaping our exports use.

Free text (notes, tags) is escaped completely so that decoding gives back exactly what the
user wrote (a round trip tested with Hypothesis); titles keep arXiv's own TeX (``$\\alpha$``)
and only get the characters escaped that would break LaTeX outside math.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pylatexenc import latex2text, latexwalker

_NEEDS_DECODING = re.compile(r"[\\{}$~]|--|``|''")
_NEEDS_PARSER = re.compile(r"[\\$~%]|--|``|''|[!?]`|\{\}")
_FREE_TEXT = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_FREE_RE = re.compile(r"[\\{}$&%#_~^]")
_LIGATURE = re.compile(r"-(?=-)|`(?=`)|'(?=')|[!?](?=`)")
_TITLE_RE = re.compile(r"(?<!\\)[&%#_]")


@lru_cache(maxsize=1)
def _decoder() -> tuple[latex2text.LatexNodes2Text, Any]:
    # pylatexenc renders \textasciicircum as a modifier letter; ours means a plain caret.
    db = latex2text.get_default_latex_context_db()
    db.add_context_category(
        "dailypapers", prepend=True, macros=[latex2text.MacroTextSpec("textasciicircum", "^")]
    )
    converter = latex2text.LatexNodes2Text(
        latex_context=db, math_mode="verbatim", strict_latex_spaces=True
    )
    # Built once: LatexWalker would otherwise rebuild its default macro table for every value.
    return converter, latexwalker.get_default_latex_context_db()


@lru_cache(maxsize=65_536)  # author names and journal titles repeat across a library
def decode(value: str) -> str:
    """Unicode text of a BibTeX value (``Schr{\\"o}dinger`` → ``Schrödinger``); math kept."""
    if not _NEEDS_DECODING.search(value):
        return value
    if not _NEEDS_PARSER.search(value):  # only grouping braces ("{BERT} models"): drop them
        return value.replace("{", "").replace("}", "")
    converter, context = _decoder()
    try:
        walker = latexwalker.LatexWalker(value, latex_context=context, tolerant_parsing=True)
        return str(converter.nodelist_to_text(walker.get_latex_nodes()[0]))
    except Exception:  # pylatexenc is lenient, but a value must never break an import
        return value


def encode_free_text(text: str) -> str:
    """Escape every LaTeX special of user text (notes, tags) so that :func:`decode` inverts it.

    Ligatures (``--``, ``````, ``''``, ``!```) are broken with an empty group.
    """
    escaped = _FREE_RE.sub(lambda m: _FREE_TEXT[m.group(0)], text)
    return _LIGATURE.sub(lambda m: m.group(0) + "{}", escaped)


def encode_title(title: str) -> str:
    """A title as arXiv writes it (TeX kept), with ``& % # _`` escaped outside math and
    unbalanced braces dropped (they would break the BibTeX file)."""
    parts = title.split("$")
    for i in range(0, len(parts), 2):  # even parts are outside math
        parts[i] = _TITLE_RE.sub(lambda m: "\\" + m.group(0), parts[i])
    text = "$".join(parts) if len(parts) % 2 == 1 else title.replace("$", r"\$")
    return _balanced(text)


def _balanced(text: str) -> str:
    depth, out = 0, []
    for i, ch in enumerate(text):
        escaped = i > 0 and text[i - 1] == "\\"
        if ch == "{" and not escaped:
            depth += 1
        elif ch == "}" and not escaped:
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    result = "".join(out)
    return result + "}" * depth if depth else result
