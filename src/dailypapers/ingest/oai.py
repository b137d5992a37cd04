"""arXiv OAI-PMH harvesting (``ListRecords``, ``metadataPrefix=arXiv``) for large backfills.

The first request names a set (``cs``) and a ``from`` datestamp; each answer carries up to
about a thousand records and a ``<resumptionToken>`` for the next request, empty on the last
one. The ``arXiv`` metadata format gives structured author names, the categories, the
creation (v1) and last update dates, comments and the abstract; it has no version number.
Flow control is HTTP 503 with ``Retry-After``, which :mod:`dailypapers.ingest.http` honours.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET  # only the Element type and ParseError: parsing is defused
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
import httpx
from defusedxml import DefusedXmlException

from dailypapers.config import Settings
from dailypapers.ingest import http
from dailypapers.ingest.http import UpstreamFormatError
from dailypapers.store.records import PaperRecord, fold_spaces, parse_arxiv_id

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_META = "{http://arxiv.org/OAI/arXiv/}"


class OaiProtocolError(UpstreamFormatError):
    """An OAI-PMH ``<error code=...>`` answer (other than "no records match")."""

    def __init__(self, url: str, code: str, message: str) -> None:
        super().__init__(url, f"OAI-PMH error {code}: {message}")
        self.code = code


@dataclass(slots=True)
class OaiPage:
    records: list[PaperRecord]
    token: str | None  # None: this was the last page
    url: str


def list_records(
    client: httpx.Client,
    settings: Settings,
    *,
    set_spec: str | None = None,
    since: dt.date | None = None,
    token: str | None = None,
) -> OaiPage:
    """One ``ListRecords`` page: the first (set and date) or the next (resumption token)."""
    if token:
        params: dict[str, str] = {"verb": "ListRecords", "resumptionToken": token}
    else:
        params = {"verb": "ListRecords", "metadataPrefix": "arXiv"}
        if set_spec:
            params["set"] = set_spec
        if since:
            params["from"] = since.isoformat()
    response = http.get(client, settings, settings.arxiv_oai_url, params)
    return parse_list_records(response.content, str(response.request.url))


def parse_list_records(content: bytes | str, url: str) -> OaiPage:
    """Records and resumption token of one answer; unreadable documents name ``url``."""
    try:
        root = SafeET.fromstring(content)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise UpstreamFormatError(url, f"malformed OAI-PMH XML ({exc})") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise UpstreamFormatError(url, f"expected <OAI-PMH>, got <{root.tag.rsplit('}', 1)[-1]}>")
    error = root.find(f"{OAI}error")
    if error is not None:
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return OaiPage(records=[], token=None, url=url)
        raise OaiProtocolError(url, code, fold_spaces(error.text or ""))
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise UpstreamFormatError(url, "answer has neither <ListRecords> nor <error>")
    records = []
    for number, node in enumerate(listing.iterfind(f"{OAI}record"), 1):
        try:
            record = _record(node)
        except ValueError as exc:
            raise UpstreamFormatError(url, f"record {number}: {exc}") from None
        if record is not None:
            records.append(record)
    token = (listing.findtext(f"{OAI}resumptionToken") or "").strip() or None
    return OaiPage(records=records, token=token, url=url)


def _record(node: ET.Element) -> PaperRecord | None:
    header = node.find(f"{OAI}header")
    if header is not None and header.get("status") == "deleted":
        return None
    meta = node.find(f"{OAI}metadata/{ARXIV_META}arXiv")
    if meta is None:
        raise ValueError("no <arXiv> metadata (was metadataPrefix=arXiv asked for?)")
    parsed = parse_arxiv_id(_text(meta, "id"))
    if parsed is None:
        raise ValueError(f"unreadable arXiv id {_text(meta, 'id')!r}")
    created = _date(meta, "created")
    record = PaperRecord(
        title=fold_spaces(_text(meta, "title")),
        abstract=fold_spaces(_text(meta, "abstract")),
        arxiv_id=parsed[0],
        authors=[_author(a) for a in meta.iterfind(f"{ARXIV_META}authors/{ARXIV_META}author")],
        categories=_text(meta, "categories").split(),
        published_on=created,
        updated_on=_date(meta, "updated") or created,
        comment=fold_spaces(_text(meta, "comments")) or None,
        source="arxiv-oai",
        feed_date=created,
    )
    record.validate()
    return record


def _author(node: ET.Element) -> str:
    parts = (_text(node, "forenames"), _text(node, "keyname"), _text(node, "suffix"))
    return fold_spaces(" ".join(p for p in parts if p))


def _text(node: ET.Element, name: str) -> str:
    return (node.findtext(f"{ARXIV_META}{name}") or "").strip()


def _date(node: ET.Element, name: str) -> dt.date | None:
    text = _text(node, name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"bad date {text!r} in <{name}>") from None
