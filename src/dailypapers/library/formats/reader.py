"""The front door of imports: size, binary and encoding checks, format detection, parsing.

Limits (``settings.library_import_max_bytes`` and ``library_import_max_entries``) are checked
before parsing, so a 50 MB upload or a 100,000-entry file is refused at once with a message
saying what to do. Invalid UTF-8 does not sink a file: the offending lines are reported and
their bad bytes replaced, the rest is read.
"""

from __future__ import annotations

import re

from dailypapers.errors import Invalid, TooLarge
from dailypapers.library.formats.bibtex import parse_bibtex
from dailypapers.library.formats.csl import parse_csl_json
from dailypapers.library.formats.entries import ParsedFile, Problem
from dailypapers.library.formats.plain import parse_plain
from dailypapers.library.formats.ris import parse_ris

FORMATS = ("bibtex", "ris", "csl-json", "list")
_EXTENSIONS = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json",
               ".txt": "list", ".csv": "list"}  # fmt: skip
_PARSERS = {"bibtex": parse_bibtex, "ris": parse_ris, "csl-json": parse_csl_json,
            "list": parse_plain}  # fmt: skip
_BIB_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_RIS_START = re.compile(r"^TY  - ", re.MULTILINE)


def _check_binary(data: bytes) -> None:
    head = data[:65536]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > len(head) // 20:
        raise Invalid(
            "This is a binary file, not a reference list: export BibTeX (.bib), RIS (.ris), "
            "CSL JSON (.json) or a text file of arXiv ids from your reference manager."
        )


def _decode(data: bytes) -> tuple[str, list[Problem]]:
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    problems = []
    lines = data.split(b"\n")
    for number, line in enumerate(lines, 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(number, "invalid UTF-8; the bad bytes were replaced by \ufffd"))
    return data.decode("utf-8", errors="replace"), problems[:50]


def detect_format(text: str, filename: str | None = None) -> str:
    """The format by file extension, else by content."""
    if filename:
        for ext, fmt in _EXTENSIONS.items():
            if filename.lower().endswith(ext):
                return fmt
    head = text.lstrip()[:2000]
    if _RIS_START.search(head):
        return "ris"
    if head.startswith(("[", "{")):
        return "csl-json"
    if _BIB_ENTRY.search(text[:200_000]):
        return "bibtex"
    return "list"


def _count(text: str, fmt: str) -> int:
    if fmt == "bibtex":
        return len(_BIB_ENTRY.findall(text))
    if fmt == "ris":
        return len(_RIS_START.findall(text))
    if fmt == "list":
        return sum(1 for line in text.splitlines() if line.strip())
    return text.count('"title"') or text.count("{")


def read_references(
    data: bytes, filename: str | None = None, *, fmt: str | None = None,
    max_bytes: int = 10_000_000, max_entries: int = 10_000,
) -> ParsedFile:  # fmt: skip
    """Parse an uploaded file; ``TooLarge``/``Invalid`` when it cannot be read at all."""
    if len(data) > max_bytes:
        raise TooLarge(
            f"The file has {len(data) / 1e6:.1f} MB; imports take at most "
            f"{max_bytes / 1e6:.0f} MB. Split it (e.g. by collection) and import the parts."
        )
    if not data.strip():
        raise Invalid("The file is empty.")
    _check_binary(data)
    text, problems = _decode(data)
    fmt = fmt or detect_format(text, filename)
    if fmt not in _PARSERS:
        raise Invalid(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    count = _count(text, fmt)
    if count > max_entries:
        raise TooLarge(
            f"The file has about {count:,} entries; one import takes at most {max_entries:,}. "
            "Split it and import the parts (re-importing an entry adds nothing)."
        )
    parsed = _PARSERS[fmt](text)
    parsed.problems = sorted(problems + parsed.problems, key=lambda p: p.line)
    if not parsed.entries and not parsed.problems:
        raise Invalid(f"No references found in this {fmt} file.")
    return parsed
