"""Atom 1.0 feeds: ``/feed.xml`` (the daily feed), ``/trending.xml`` and ``/search.xml?q=…``.

Documents are built with ElementTree, so every title, name and abstract is escaped by the
serializer; characters that XML 1.0 forbids (arXiv text has the odd form feed) are dropped.
Each entry's id is the paper's page URL, stable across runs, as feed readers require.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.store.queries.feed import list_feed
from dailypapers.store.queries.papers import FeedItem
from dailypapers.web.deps import get_db, get_settings_dep

router = APIRouter(tags=["feeds"])
ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ET.register_namespace("", ATOM_NS)


def _clean(text: str | None) -> str:
    return _INVALID_XML.sub("", text or "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = _clean(text)
    return element


def _stamp(value: dt.date | dt.datetime | None) -> str:
    """RFC 3339 in UTC; a bare date becomes its midnight."""
    if value is None:
        value = dt.datetime(1970, 1, 1)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _entry_updated(item: FeedItem) -> dt.datetime | dt.date | None:
    return item.paper.updated_at or item.feed_date or item.paper.published_on


def _summary_html(item: FeedItem, url: str) -> str:
    p = item.paper
    names = ", ".join(p.authors[:10]) + (" et al." if len(p.authors) > 10 else "")
    byline = names or (f"{p.author_count} authors" if p.author_count else "")
    facts = " · ".join(x for x in (byline, p.organization or "", f"▲ {p.upvotes}") if x)
    links = [f'<a href="{html.escape(url)}">paper page</a>']
    for label, href in (("arXiv", p.abs_url), ("PDF", p.pdf_link), ("code", p.github_repo),
                        ("project", p.project_page)):  # fmt: skip
        if href:
            links.append(f'<a href="{html.escape(href)}">{label}</a>')
    return (f"<p>{html.escape(facts)}</p><p>{html.escape(p.abstract or '')}</p>"
            f"<p>{' · '.join(links)}</p>")  # fmt: skip


def atom_document(
    settings: Settings, *, title: str, self_url: str, alternate: str, items: Sequence[FeedItem]
) -> bytes:
    """A complete Atom feed of ``items``."""
    base = settings.base_url.rstrip("/")
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "title", title)
    _sub(feed, "id", self_url)
    _sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=alternate, type="text/html")
    author = _sub(feed, "author")
    _sub(author, "name", settings.site_name)
    _sub(author, "uri", base + "/")
    _sub(feed, "generator", "dailypapers", uri="https://github.com/dailypapers/dailypapers")
    stamps = [_stamp(_entry_updated(it)) for it in items]
    _sub(feed, "updated", max(stamps) if stamps else _stamp(dt.datetime.now(dt.UTC)))
    for item, stamp in zip(items, stamps, strict=True):
        _entry(feed, base, item, stamp)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, base: str, item: FeedItem, stamp: str) -> None:
    p = item.paper
    url = f"{base}/papers/{quote(p.id, safe='')}"
    entry = _sub(feed, "entry")
    _sub(entry, "id", url)
    _sub(entry, "title", p.title)
    _sub(entry, "updated", stamp)
    if item.feed_date or p.published_on:
        _sub(entry, "published", _stamp(item.feed_date or p.published_on))
    _sub(entry, "link", rel="alternate", href=url, type="text/html")
    if p.abs_url:
        _sub(entry, "link", rel="related", href=p.abs_url, type="text/html", title="arXiv")
    for name in p.authors[:25] or ([p.organization] if p.organization else []):
        _sub(_sub(entry, "author"), "name", name)
    for category in p.categories:
        _sub(entry, "category", term=_clean(category))
    _sub(entry, "summary", p.abstract or p.title, type="text")
    _sub(entry, "content", _summary_html(item, url), type="html")


def _atom(content: bytes) -> Response:
    return Response(content, media_type=ATOM_TYPE,
                    headers={"Cache-Control": "public, max-age=300"})  # fmt: skip


@router.get("/feed.xml", response_class=Response, summary="Atom feed of the daily papers")
def daily_feed(
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> Response:
    """The newest entries of the daily feed."""
    base = settings.base_url.rstrip("/")
    items = list_feed(session, sort="publishedAt", limit=FEED_SIZE)
    title = f"{settings.site_name}: daily papers"
    return _atom(atom_document(settings, title=title, self_url=f"{base}/feed.xml",
                               alternate=f"{base}/", items=items))  # fmt: skip


@router.get("/trending.xml", response_class=Response, summary="Atom feed of trending papers")
def trending_feed(
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> Response:
    """The papers trending now."""
    base = settings.base_url.rstrip("/")
    items = list_feed(session, sort="trending", limit=FEED_SIZE)
    return _atom(atom_document(settings, title=f"{settings.site_name}: trending papers",
                               self_url=f"{base}/trending.xml", alternate=f"{base}/trending",
                               items=items))  # fmt: skip


@router.get("/search.xml", response_class=Response, summary="Atom feed of a saved search")
def search_feed(
    request: Request,
    q: str = Query(..., min_length=1, max_length=500, description="A search, as on /search."),
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    """The newest papers matching ``q`` (the search language of the search box)."""
    from dailypapers.search import QueryError, SearchRequest, search

    try:
        result = search(settings, session, SearchRequest(q=q, sort="date", limit=FEED_SIZE))
    except QueryError as exc:
        raise HTTPException(400, f"Invalid search: {exc}") from None
    base = settings.base_url.rstrip("/")
    query = urlencode({"q": q})
    return _atom(atom_document(settings, title=f"{settings.site_name}: {q}",
                               self_url=f"{base}/search.xml?{query}",
                               alternate=f"{base}/search?{query}", items=result.items))  # fmt: skip
