"""arXiv metadata as JSON lines, one paper per line, read as a stream in constant memory.

Two shapes are read, field by field, so mixtures work too:

- the corpus shape: ``id``, ``title``, ``abstract``, ``authors`` (a list of names),
  ``categories`` (a list), ``first_listing_date``, ``comment``;
- the arXiv metadata snapshot (Kaggle "arxiv-metadata-oai-snapshot"): ``authors`` as one
  string (or ``authors_parsed`` as ``[last, first, suffix]`` triples, preferred), ``categories``
  as a space-separated string, ``versions`` as ``[{"version": "v1", "created": <RFC 2822>}]``,
  ``update_date``, ``comments``, ``doi``.

The feed date is ``first_listing_date`` when present, else the date of the first version
(else ``update_date``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import unicodedata
from collections.abc import Iterable, Iterator

import orjson

from dailypapers.ingest.entries import Entry, parse_iso_date
from dailypapers.store.records import PaperRecord, fold_spaces, parse_arxiv_id

_AND = re.compile(r",\s*and\s+|\s+and\s+|,\s*")
_VERSION = re.compile(r"v?(\d+)$")
# arXiv categories ("cs.CV", "hep-th", "q-bio.NC"); MSC/ACM classes sometimes mixed in are dropped
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$")
# The snapshot writes accents in TeX: C. Bal\\'azs, {\\"O}zt{\\"u}rk, Fran\\c{c}ois.
_TEX_ACCENT = re.compile(r"\{?\\(['`^\"~=.]|[cvuH](?=\{))\{?\s*([A-Za-z])\}?\}?")
_COMBINING = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b",
}  # fmt: skip


def parse_arxiv_jsonl(lines: Iterable[str]) -> Iterator[Entry]:
    """One entry per non-blank line; a line that is not a JSON object is reported and skipped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield Entry.bad(number, f"not valid JSON ({exc.args[0].split(':')[0]})")
            continue
        yield arxiv_entry(number, obj)


def arxiv_entry(number: int, obj: object) -> Entry:
    """The record of one decoded arXiv metadata object, or the reason it cannot be read."""
    if not isinstance(obj, dict):
        return Entry.bad(number, "expected a JSON object")
    try:
        return Entry(line=number, record=arxiv_record(obj))
    except (ValueError, TypeError) as exc:
        return Entry.bad(number, str(exc))


def arxiv_record(obj: dict) -> PaperRecord:
    """Map one arXiv metadata object (corpus or snapshot shape) to a record."""
    parsed = parse_arxiv_id(str(obj.get("id") or ""))
    if parsed is None:
        raise ValueError(f"missing or malformed arXiv id {obj.get('id')!r}")
    arxiv_id, id_version = parsed
    title = _text(obj, "title")
    if not title:
        raise ValueError(f"paper {arxiv_id} has no title")
    versions = _versions(obj.get("versions"))
    first_version = versions[0][1] if versions else None
    listed = parse_iso_date(obj.get("first_listing_date"))
    abstract = _text(obj, "abstract").strip()
    comment = _text(obj, "comment") or _text(obj, "comments") or None
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=fold_spaces(title),
        abstract=abstract,
        authors=_authors(obj),
        categories=_categories(obj.get("categories")),
        published_on=first_version or listed or parse_iso_date(obj.get("published")),
        updated_on=parse_iso_date(obj.get("update_date")) or (versions and versions[-1][1]) or None,
        version=versions[-1][0] if versions else id_version,
        comment=comment,
        source="arxiv",
        # the last resort keeps a paper without dates visible in the feed
        feed_date=listed or first_version or parse_iso_date(obj.get("update_date")),
    )


def _text(obj: dict, key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} is not a string")
    return value


def _authors(obj: dict) -> list[str]:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        return [_untex(name) for triple in parsed if (name := _parsed_name(triple))]
    authors = obj.get("authors")
    if isinstance(authors, list):
        return [fold_spaces(str(a)) for a in authors if a and str(a).strip()]
    if isinstance(authors, str):
        return [_untex(fold_spaces(a)) for a in _AND.split(authors) if a.strip()]
    if authors is None:
        return []
    raise ValueError("field 'authors' is neither a list nor a string")


def _untex(name: str) -> str:
    if "\\" not in name:
        return name
    text = _TEX_ACCENT.sub(lambda m: m.group(2) + _COMBINING[m.group(1)], name)
    return unicodedata.normalize("NFC", text)


def _parsed_name(triple: object) -> str:
    """``["Balázs", "C.", ""]`` → ``"C. Balázs"`` (first names, last name, suffix)."""
    if not isinstance(triple, list):
        raise ValueError("field 'authors_parsed' holds a non-list")
    last, first, suffix = ([*map(str, triple), "", "", ""])[:3]
    return fold_spaces(f"{first} {last} {suffix}")


def _categories(value: object) -> list[str]:
    if isinstance(value, str):
        return [c for c in value.split() if _CATEGORY.match(c)]
    if isinstance(value, list):
        return [c for c in map(str, value) if _CATEGORY.match(c)]
    if value is None:
        return []
    raise ValueError("field 'categories' is neither a list nor a string")


def _versions(value: object) -> list[tuple[int, dt.date | None]]:
    """``[(1, date), (2, date)]`` from the snapshot's version list, oldest first."""
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if not isinstance(item, dict):
            continue
        match = _VERSION.match(str(item.get("version", "")))
        if match:
            out.append((int(match.group(1)), _rfc2822_date(item.get("created"))))
    return sorted(out, key=lambda v: v[0])


def _rfc2822_date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return email.utils.parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        return parse_iso_date(value)
