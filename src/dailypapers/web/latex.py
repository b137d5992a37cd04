"""LaTeX in titles and abstracts, rendered on the server as MathML: the ``tex`` Jinja filter.

``$x^2$``, ``$$…$$`` and ``\\(…\\)`` become ``<math>`` elements through ``latex2mathml``;
everything else is escaped as usual. The converter's output is not trusted as it stands: it is
parsed as XML and written out again keeping only MathML presentation elements and a short list
of attributes with plain values (no ``href``, no ``style``, no event handlers), every text
escaped. Math the converter rejects, or whose output does not parse, stays as its escaped
source text. Browsers render MathML Core natively (Chromium 109+, Firefox, Safari), no script.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

import defusedxml.ElementTree as SafeET
from jinja2 import Environment
from latex2mathml.converter import convert
from markupsafe import Markup, escape

from dailypapers.texmath import MATH, MAX_FORMULAS, plain, source

_MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
_TAGS = frozenset(
    {
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msup",
        "msub",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mover",
        "munder",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mstyle",
        "mpadded",
        "mphantom",
        "menclose",
        "semantics",
    }
)
_ATTRIBUTES = frozenset(
    {
        "display",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "accent",
        "accentunder",
        "displaystyle",
        "scriptlevel",
        "linethickness",
        "columnalign",
        "rowalign",
        "columnspacing",
        "rowspacing",
        "width",
        "height",
        "depth",
        "notation",
        "movablelimits",
        "minsize",
        "maxsize",
        "form",
        "symmetric",
        "largeop",
        "columnlines",
        "rowlines",
        "frame",
    }
)
_PLAIN_VALUE = re.compile(r"[\w .%#+-]{0,40}")


def _write(element: ET.Element, out: list[str]) -> None:
    tag = element.tag.removeprefix(_MATHML_NS)
    if tag not in _TAGS:
        raise ValueError(f"unexpected element {tag!r}")
    attrs = "".join(
        f' {name}="{escape(value)}"'
        for name, value in sorted(element.attrib.items())
        if name in _ATTRIBUTES and _PLAIN_VALUE.fullmatch(value)
    )
    out.append(f"<{tag}{attrs}>")
    if element.text:
        out.append(str(escape(element.text)))
    for child in element:
        _write(child, out)
        if child.tail:
            out.append(str(escape(child.tail)))
    out.append(f"</{tag}>")


@lru_cache(maxsize=8192)
def formula(source: str, display: bool = False) -> Markup | None:
    """One formula as sanitised MathML, or None when it cannot be converted."""
    try:
        root = SafeET.fromstring(convert(source, display="block" if display else "inline"))
        out: list[str] = []
        _write(root, out)
    except Exception:  # any converter or parser failure keeps the source text
        return None
    return Markup("".join(out))  # noqa: S704 - rebuilt from allowed parts, texts escaped


@lru_cache(maxsize=4096)
def tex(text: str | None) -> Markup:
    """``text`` escaped, with its LaTeX formulas as MathML (Jinja filter ``tex``)."""
    text = text or ""
    if "$" not in text and "\\(" not in text:
        return escape(text)
    parts: list[str] = []
    last = 0
    for count, match in enumerate(MATH.finditer(text)):
        if count >= MAX_FORMULAS:
            break
        display = match.group("display") is not None
        formula_source = source(match).strip()
        rendered = formula(formula_source, display)
        if rendered is None:
            continue
        parts.append(str(escape(text[last : match.start()])))
        parts.append(f'<span class="math" title="{escape(formula_source)}">{rendered}</span>')
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece escaped or sanitised above


def register(env: Environment) -> None:
    """Add the ``tex`` and ``tex_plain`` filters to a Jinja environment."""
    env.filters["tex"] = tex
    env.filters["tex_plain"] = plain
