"""The paper page: ``/papers/{id}`` with the full abstract, authors, categories and links.

Other areas fill slots on it: ``partials/upvote_button.html`` and ``partials/comments.html``
(community), ``partials/similar.html`` (search). Each sees ``item`` and ``paper``.

Speed: similar papers (about 14 ms of ranking) are kept per worker, keyed by the search
index's fingerprint, so they are recomputed only when the index changes; anonymous visitors
get the whole page from the page cache (``web/page_cache.py``).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.feed.windows import Window
from dailypapers.library.reads import auto_mark_read
from dailypapers.search import LocalIndex, get_index
from dailypapers.store.db import writing
from dailypapers.store.queries.papers import FeedItem, get_paper, normalise_paper_id, papers_by_ids
from dailypapers.web.deps import request_session
from dailypapers.web.page_cache import cached_page
from dailypapers.web.pages.search import SIMILAR_FACETS, similar_pairs
from dailypapers.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
SIMILAR_LIMIT = 6


def _load_index(request: Request) -> LocalIndex | None:
    """The process's search index, loaded (and synced) on first use; None if unavailable."""
    try:
        return get_index(request.app.state.settings)
    except Exception:  # the paper page must render even if the index is unavailable
        log.exception("the search index could not be loaded")
        return None


async def search_index(request: Request) -> LocalIndex | None:
    """The search index, kept on the app (looking it up resolves the data folder: ~1 ms).

    Loaded before the request takes a database connection: a cold index syncs through a
    connection of its own (the pool invariant of ``docs/architecture.md``).
    """
    state = request.app.state
    index: LocalIndex | None = getattr(state, "search_index", None)
    if index is None or index.closed:
        index = state.search_index = await run_in_threadpool(_load_index, request)
    return index


def index_fingerprint(index: LocalIndex | None) -> Hashable:
    """What identifies the state of the index: its generation, rows and vector snapshot."""
    if index is None:
        return None
    return (index.generation, len(index.ids), index.vectors_generation, len(index.vectors))


class SimilarCache:
    """Per-worker LRU of similar-paper ids by (paper, facet, index fingerprint)."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._data: OrderedDict[Hashable, list[str]] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def get(self, key: Hashable) -> list[str] | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: Hashable, ids: list[str]) -> None:
        with self._lock:
            self._data[key] = ids
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)


def _similar_cache(request: Request) -> SimilarCache:
    cache: SimilarCache | None = getattr(request.app.state, "similar_cache", None)
    if cache is None:
        cache = request.app.state.similar_cache = SimilarCache()
    return cache


def similar_items(
    request: Request, session: Session, item: FeedItem, fingerprint: Hashable
) -> list[FeedItem]:
    """Similar papers of ``item`` (``?similar=method`` picks one aspect), ranked once per
    index state; their current counts come from the database."""
    settings = request.app.state.settings
    by = request.query_params.get("similar") or ""
    by = by if by in SIMILAR_FACETS else ""
    cache = _similar_cache(request)
    key = (item.paper.id, by, fingerprint)
    ids = cache.get(key)
    if ids is None:
        pairs = similar_pairs(settings, session, item.paper.id, SIMILAR_LIMIT, by or None)
        if pairs is None:  # the index failed: show none, try again next time
            return []
        ids = [pid for pid, _ in pairs]
        cache.put(key, ids)
    return papers_by_ids(session, ids)


def _paper_response(request: Request, paper_id: str, fingerprint: Hashable) -> Response:
    session = request_session(request)
    item = get_paper(session, paper_id)
    if item is None:
        raise HTTPException(404, f"No paper with id {paper_id!r} here.")
    day = Window.containing("day", item.feed_date) if item.feed_date else None
    similar = similar_items(request, session, item, fingerprint)
    return render(request, "paper.html", item=item, paper=item.paper, day=day, similar=similar)


@router.get("/papers/{paper_id:paper_id}", response_class=HTMLResponse)
async def paper_page(paper_id: str, request: Request) -> Response:
    """One paper, by arXiv id (any version) or ``t-`` id."""
    fingerprint = index_fingerprint(await search_index(request))
    key = (request.url.path, request.url.query, fingerprint)
    response = await cached_page(
        request, key, lambda: _paper_response(request, paper_id, fingerprint)
    )
    user = getattr(request.state, "user", None)
    if user is not None and response.status_code == 200:
        await run_in_threadpool(_mark_read, request, user.id, paper_id)
    return response


def _mark_read(request: Request, user_id: int, raw_id: str) -> None:
    """Opening the page marks the paper read, when the user has that switched on."""
    paper_id = normalise_paper_id(raw_id)
    if paper_id is None:
        return
    session = request_session(request)
    with writing(session, request.app.state.settings):
        auto_mark_read(session, user_id, paper_id, "page")
