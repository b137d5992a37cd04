"""Hugging Face daily papers over HTTP: ``GET {hf_api_url}/api/daily_papers?date=D``.

The entries are read by :func:`dailypapers.ingest.hf_daily.hf_daily_record` (the same mapping
the file importer uses), so a paper's feed date, upvotes, comments count, organization,
submitter, GitHub repository and stars and project page merge into the arXiv record with
the same id. A page that is not valid JSON, or holds an unusable entry, raises
:class:`UpstreamFormatError` naming the URL and yields nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.ingest import http
from dailypapers.ingest.hf_daily import hf_daily_record
from dailypapers.ingest.http import UpstreamFormatError
from dailypapers.store.models import Paper
from dailypapers.store.records import PaperRecord

PAGE_LIMIT = 100  # entries asked for per call; a day rarely has more
MAX_PAGES_PER_DAY = 20  # guards against a server that ignores ``p``


@dataclass(slots=True)
class HfPage:
    records: list[PaperRecord]
    url: str
    full: bool  # as many entries as asked for: there may be a next page


def daily_papers_url(settings: Settings) -> str:
    return settings.hf_api_url.rstrip("/") + "/api/daily_papers"


def fetch_day_page(client: httpx.Client, settings: Settings, day: dt.date, page: int) -> HfPage:
    """One page of the daily list of ``day``."""
    params = {"date": day.isoformat(), "p": page, "limit": PAGE_LIMIT}
    response = http.get(client, settings, daily_papers_url(settings), params)
    url = str(response.request.url)
    items = parse_daily_papers(response.content, url)
    return HfPage(records=items, url=url, full=len(items) >= PAGE_LIMIT)


def parse_daily_papers(content: bytes | str, url: str) -> list[PaperRecord]:
    """Records of one ``/api/daily_papers`` JSON answer (a list of entries)."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise UpstreamFormatError(url, f"malformed JSON ({exc})") from None
    if not isinstance(data, list):
        raise UpstreamFormatError(url, f"expected a JSON list, got {type(data).__name__}")
    records = []
    for number, item in enumerate(data, 1):
        try:
            record = hf_daily_record(item)
            record.validate()
        except (ValueError, TypeError, AttributeError) as exc:
            raise UpstreamFormatError(url, f"entry {number}: {exc}") from None
        records.append(record)
    return records


def keep_arxiv_metadata(session: Session, records: list[PaperRecord]) -> list[PaperRecord]:
    """Let arXiv stay the authority on title, abstract, authors and dates of papers it has.

    The Hugging Face copy of those fields differs in small ways (line breaks, accents); if it
    overwrote the arXiv ones, the two sources would flip a paper back and forth on every run.
    Papers with categories stored came from arXiv metadata (HF never sends categories), so
    only the community signals of their HF records are kept.
    """
    ids = [r.arxiv_id for r in records if r.arxiv_id]
    if not ids:
        return records
    stored = session.execute(select(Paper.id, Paper.categories).where(Paper.id.in_(ids)))
    described = {pid for pid, categories in stored if categories}
    for record in records:
        if record.arxiv_id in described:
            record.title, record.abstract, record.authors = "", "", []
            record.published_on = None
    return records
