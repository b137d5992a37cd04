"""Warm start: load the index and the model, and run one search and one similar-papers ranking
before a server says it is ready, so that no request after readiness waits for loading.

``start_warm_up(settings)`` runs ``warm_up`` in a background thread (the server answers
``/healthz`` meanwhile); ``is_warm(settings)`` is what ``/readyz`` reports.
"""

from __future__ import annotations

import logging
import threading
import time

from dailypapers.config import Settings
from dailypapers.search.embed import get_query_embedder
from dailypapers.search.engine import get_index, index_key
from dailypapers.search.service import SearchRequest, search
from dailypapers.search.similar import related
from dailypapers.store import db

__all__ = ["is_warm", "start_warm_up", "warm_up"]

log = logging.getLogger(__name__)
_warm: dict[tuple[str, str, str], float] = {}  # index key -> seconds the warm-up took
_lock = threading.Lock()


def warm_up(settings: Settings) -> float:
    """Load everything a first search or paper page needs; returns the seconds it took."""
    started = time.perf_counter()
    index = get_index(settings)
    if len(index.vectors):
        get_query_embedder(settings).embed_query("warm up the model")
    with db.session_scope(settings) as session:
        search(settings, session, SearchRequest(q="neural networks", limit=10))
        if index.ids:
            related(settings, session, index.ids[-1], 6)
    took = time.perf_counter() - started
    with _lock:
        _warm[index_key(settings)] = took
    log.info("search warm in %.1f s", took)
    return took


def is_warm(settings: Settings) -> bool:
    with _lock:
        return index_key(settings) in _warm


def start_warm_up(settings: Settings) -> threading.Thread:
    """``warm_up`` in a daemon thread; a failure is logged and leaves the server not ready."""

    def run() -> None:
        try:
            warm_up(settings)
        except Exception:
            log.exception("search warm-up failed; /readyz stays 503")

    thread = threading.Thread(target=run, name="search-warm-up", daemon=True)
    thread.start()
    return thread
