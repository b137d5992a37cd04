"""LaTeX in titles and abstracts: MathML on the server, and nothing hostile gets through."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from dailypapers.texmath import plain as tex_plain
from dailypapers.web.latex import tex
from tests.factories import add_papers, make_record

HOSTILE = [
    "$<script>alert(1)</script>$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\href{javascript:alert(1)}{click}$",
    r"$\style{background:url(javascript:alert(1))}{x}$",
    r"$\color{red}{x}$ and $\mathcolor{red}{y}$",
    "$x$ <iframe src=//evil></iframe> $y$",
    r"$\unicode{x3c}script\unicode{x3e}$",
    r'$"><svg onload=alert(1)>$',
    r"$\frac{<}{>}$ & $a&b$",
    r"$\begin{array}{c}<b>\end{array}$",
]
ALLOWED_TAGS = {"span", "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
                "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable",
                "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "semantics"}  # fmt: skip


class _Tags(HTMLParser):
    """Every element and attribute name a browser would see in the output."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def _parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_inline_formulas_become_mathml() -> None:
    html = str(tex(r"Sorting in $\mathcal{O}(n \log n)$ time"))
    assert html.startswith('Sorting in <span class="math"')
    assert '<math display="inline">' in html and "<mi>log</mi>" in html
    assert html.endswith("</span> time")
    assert '<math display="block">' in str(tex(r"$$\sum_i x_i$$"))
    assert "<msub>" in str(tex(r"a \(x_1\) b"))


def test_text_without_math_is_only_escaped() -> None:
    assert str(tex("Costs $5 and $6 <b>bold</b>")) == "Costs $5 and $6 &lt;b&gt;bold&lt;/b&gt;"
    assert str(tex(None)) == ""
    assert str(tex(r"a \$ sign and \$x\$")) == r"a \$ sign and \$x\$"


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_is_escaped(source: str) -> None:
    found = _parsed(str(tex(source)))
    assert found.tags <= ALLOWED_TAGS, found.tags
    assert not {a for a in found.attributes if a.startswith("on")}
    assert not found.attributes & {"href", "src", "style", "xlink:href", "mathcolor"}


def test_broken_math_keeps_its_source() -> None:
    for broken in (r"$x^$", r"$\left( x$", r"$\begin{foo}$"):  # the converter refuses these
        assert str(tex(broken)) == broken


def test_plain_titles_drop_the_delimiters() -> None:
    assert tex_plain(r"Bounds of $O(n^2)$ sorting") == "Bounds of O(n^2) sorting"


def test_plain_reads_formulas_as_text() -> None:
    assert tex_plain(r"$\alpha$-divergence in $\mathbb{R}^d$") == "\u03b1-divergence in \u211d^d"
    assert tex_plain(r"A $\frac{1}{2}$-approximation, \(x^2\)") == "A 1/2-approximation, x^2"
    for untouched in ("Prices of $5 and $6", "An unclosed $x", r"Escaped \$10", "", "No math"):
        assert tex_plain(untouched) == untouched


def test_pages_render_math_in_titles_and_abstracts(settings, client) -> None:
    add_papers(settings, [make_record(
        arxiv_id="2503.00001", title=r"Attention in $\mathcal{O}(n)$ <b>time</b>",
        abstract=r"We prove $x^2 \geq 0$ for all $x \in \mathbb{R}$. <script>alert(1)</script>",
    )])  # fmt: skip
    feed = client.get("/week").text
    page = client.get("/papers/2503.00001").text
    for html in (feed, page):
        assert "<math" in html and "<msup>" in html
        assert "<b>time</b>" not in html and "&lt;b&gt;time&lt;/b&gt;" in html
        assert "<script>alert(1)" not in html
    assert "<title>Attention in \U0001d4aa(n) &lt;b&gt;time&lt;/b&gt;" in page
