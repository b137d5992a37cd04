"""The arXiv API query endpoint (Atom 1.0): queries per category and by id, and the parser.

The API answers ``search_query=cat:cs.LG&sortBy=lastUpdatedDate&sortOrder=descending`` with an
Atom feed: OpenSearch paging elements, then one ``<entry>`` per paper version with ``<id>``
(``http(s)://arxiv.org/abs/2501.01234v2``), ``<published>`` (v1), ``<updated>`` (this version),
``<title>``, ``<summary>``, ``<author><name>``, ``<category term>``,
``<arxiv:primary_category>``, ``<arxiv:comment>`` and a ``<link title="pdf">``. A bad query
comes back as HTTP 200 with a single entry whose id is under ``/api/errors``.

A page is parsed completely before anything is returned: a malformed or truncated document
raises :class:`UpstreamFormatError` naming the URL, so callers never write half a page.
"""

from __future__ import annotations

import datetime as dt
import time
import xml.etree.ElementTree as ET  # only the Element type and ParseError: parsing is defused
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
import httpx
from defusedxml import DefusedXmlException

from dailypapers.config import Settings
from dailypapers.ingest import http
from dailypapers.ingest.http import UpstreamFormatError
from dailypapers.store.records import PaperRecord, fold_spaces, parse_arxiv_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ID_BATCH = 100  # ids per id_list call: keeps URLs short


@dataclass(slots=True)
class ArxivEntry:
    """One parsed entry: the record and the exact time of its version (for cursors)."""

    record: PaperRecord
    updated_at: dt.datetime  # UTC, naive


@dataclass(slots=True)
class ArxivPage:
    """One page of results with the feed's OpenSearch paging figures."""

    entries: list[ArxivEntry]
    total: int
    start: int
    per_page: int
    url: str


def category_query(category: str, start: int, max_results: int) -> dict[str, str | int]:
    """Query parameters for one page of a category, most recently updated first."""
    return {
        "search_query": f"cat:{category}",
        "sortBy": "lastUpdatedDate",
        "sortOrder": "descending",
        "start": start,
        "max_results": max_results,
    }


def fetch_category_page(
    client: httpx.Client, settings: Settings, category: str, start: int
) -> ArxivPage:
    """Fetch and parse one page of ``category`` starting at offset ``start``."""
    params = category_query(category, start, settings.arxiv_page_size)
    response = http.get(client, settings, settings.arxiv_api_url, params)
    return parse_feed(response.content, str(response.request.url))


def fetch_by_ids(settings: Settings, ids: Iterable[str]) -> list[PaperRecord]:
    """The newest version of each arXiv id (``2501.01234``, ``arXiv:…``, abs/pdf URLs).

    Unknown ids are simply absent from the result; a malformed id raises ``ValueError``;
    upstream failures raise :class:`~dailypapers.ingest.http.UpstreamError`.
    """
    wanted = []
    for raw in ids:
        parsed = parse_arxiv_id(raw)
        if parsed is None:
            raise ValueError(f"not an arXiv id: {raw!r}")
        if parsed[0] not in wanted:
            wanted.append(parsed[0])
    records: list[PaperRecord] = []
    with http.make_client(settings) as client:
        for i in range(0, len(wanted), ID_BATCH):
            if i:
                time.sleep(settings.arxiv_delay_seconds)
            chunk = wanted[i : i + ID_BATCH]
            params = {"id_list": ",".join(chunk), "start": 0, "max_results": len(chunk)}
            response = http.get(client, settings, settings.arxiv_api_url, params)
            page = parse_feed(response.content, str(response.request.url))
            records.extend(e.record for e in page.entries)
    return records


def parse_feed(content: bytes | str, url: str) -> ArxivPage:
    """Parse one Atom page; raises :class:`UpstreamFormatError` (naming ``url``) if unreadable."""
    try:
        root = SafeET.fromstring(content)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise UpstreamFormatError(url, f"malformed Atom XML ({exc})") from None
    if root.tag != f"{ATOM}feed":
        raise UpstreamFormatError(url, f"expected an Atom <feed>, got <{_local(root.tag)}>")
    entries: list[ArxivEntry] = []
    for node in root.findall(f"{ATOM}entry"):
        try:
            entry = _parse_entry(node)
        except ValueError as exc:
            raise UpstreamFormatError(url, f"entry {len(entries) + 1}: {exc}") from None
        if entry is not None:
            entries.append(entry)
    return ArxivPage(
        entries=entries,
        total=_int(root, f"{OPENSEARCH}totalResults", len(entries)),
        start=_int(root, f"{OPENSEARCH}startIndex", 0),
        per_page=_int(root, f"{OPENSEARCH}itemsPerPage", len(entries)),
        url=url,
    )


def _parse_entry(node: ET.Element) -> ArxivEntry | None:
    raw_id = _text(node, f"{ATOM}id")
    if "/api/errors" in raw_id:  # arXiv reports query errors as an entry with HTTP 200
        raise ValueError(f"arXiv API error: {_text(node, f'{ATOM}summary') or raw_id}")
    title = fold_spaces(_text(node, f"{ATOM}title"))
    if not title:
        return None  # the legacy API answers an unknown id with an empty placeholder entry
    parsed = parse_arxiv_id(raw_id.rsplit("/abs/", 1)[-1]) if "/abs/" in raw_id else None
    if parsed is None:
        raise ValueError(f"unreadable arXiv id {raw_id!r}")
    arxiv_id, version = parsed
    published = _timestamp(node, f"{ATOM}published")
    updated = _timestamp(node, f"{ATOM}updated", default=published)
    record = PaperRecord(
        title=title,
        abstract=fold_spaces(_text(node, f"{ATOM}summary")),
        arxiv_id=arxiv_id,
        authors=[
            fold_spaces(name.text or "")
            for name in node.iterfind(f"{ATOM}author/{ATOM}name")
            if name.text and name.text.strip()
        ],
        categories=_categories(node),
        published_on=published.date(),
        updated_on=updated.date(),
        version=version or 1,
        pdf_url=_pdf_link(node, arxiv_id, version),
        comment=fold_spaces(_text(node, f"{ARXIV}comment")) or None,
        source="arxiv",
        feed_date=published.date(),
    )
    record.validate()
    return ArxivEntry(record=record, updated_at=updated)


def _categories(node: ET.Element) -> list[str]:
    """All ``<category term>`` values, the primary category first (the store relies on it)."""
    terms = [c.get("term", "").strip() for c in node.iterfind(f"{ATOM}category")]
    primary = node.find(f"{ARXIV}primary_category")
    first = primary.get("term", "").strip() if primary is not None else ""
    ordered = [first] if first else []
    ordered += [t for t in terms if t and t not in ordered]
    return ordered


def _pdf_link(node: ET.Element, arxiv_id: str, version: int | None) -> str:
    for link in node.iterfind(f"{ATOM}link"):
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            href = (link.get("href") or "").strip()
            if href:
                # the legacy API wrote http:// links; one spelling keeps re-ingestion a no-op
                return href.replace("http://arxiv.org/", "https://arxiv.org/", 1)
    suffix = f"v{version}" if version else ""
    return f"https://arxiv.org/pdf/{arxiv_id}{suffix}"


def _text(node: ET.Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def _timestamp(node: ET.Element, path: str, default: dt.datetime | None = None) -> dt.datetime:
    text = _text(node, path)
    if not text:
        if default is not None:
            return default
        raise ValueError(f"missing <{_local(path)}>")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad date {text!r} in <{_local(path)}>") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _int(root: ET.Element, path: str, default: int) -> int:
    text = _text(root, path)
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def ids_in(entries: Sequence[ArxivEntry]) -> list[str]:
    """The arXiv ids of ``entries`` in order (handy for logs and cursors)."""
    return [e.record.arxiv_id or "" for e in entries]
