"""Live ingestion runs: new arXiv papers per category, and Hugging Face daily papers.

``run(settings, sources=...)`` is what ``dailypapers ingest run`` and the worker call. Each
source (and each arXiv category) is independent: one that keeps failing records its error
in its cursor and the others go on. Every page is stored together with the cursor after it
(see :mod:`dailypapers.ingest.cursors`), so a killed run resumes without loss or duplicates
and a second run adds nothing.

arXiv: pages of ``cat:C`` sorted by last update, newest first. The cursor keeps a
*watermark* (the newest update time of the last complete run); a run stops at the first
entry older than it, or older than ``--since``, or on a first run older than
``arxiv_first_run_days``. While a run is in progress the cursor also keeps its offset.

Hugging Face: one day at a time (``--date``, ``--since``, or the last ``hf_lookback_days``
days and any days missed since the cursor), because upvotes keep growing after a day ends.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from dailypapers.config import Settings
from dailypapers.ingest import arxiv_api, cursors, hf_api, http
from dailypapers.ingest.http import UpstreamError
from dailypapers.store.models import utcnow
from dailypapers.store.papers import UpsertStats

log = logging.getLogger(__name__)

SOURCES = ("arxiv", "hf")
HF_KEY = "daily"
HF_CATCH_UP_DAYS = 30  # after a long outage, HF catches up at most this many days
EMPTY_PAGE_RETRIES = 2  # the arXiv API sometimes answers an in-range page with no entries

Progress = Callable[[str, UpsertStats], None]


@dataclass
class SourceResult:
    """What one source/key did in a run."""

    source: str
    key: str
    added: int = 0
    updated: int = 0
    skipped: int = 0
    pages: int = 0
    error: str | None = None
    note: str = ""
    changed_ids: list[str] = field(default_factory=list)

    def add(self, stats: UpsertStats) -> None:
        self.added += stats.added
        self.updated += stats.updated
        self.skipped += stats.skipped
        self.pages += 1
        self.changed_ids.extend(stats.changed_ids)


def run(
    settings: Settings,
    sources: Iterable[str] = SOURCES,
    *,
    categories: list[str] | None = None,
    since: dt.date | None = None,
    day: dt.date | None = None,
    progress: Progress | None = None,
) -> list[SourceResult]:
    """Run the given sources; never raises for upstream failures (see each result's error)."""
    results: list[SourceResult] = []
    with http.make_client(settings) as client:
        for source in sources:
            if source == "arxiv":
                for category in categories or settings.arxiv_categories:
                    results.append(
                        _guarded(settings, "arxiv", category, lambda r, c=category: _arxiv(
                            settings, client, c, since, r, progress))
                    )  # fmt: skip
            elif source == "hf":
                results.append(
                    _guarded(settings, "hf", HF_KEY, lambda r: _hf(
                        settings, client, _hf_days(settings, since, day), r, progress))
                )  # fmt: skip
            else:
                raise ValueError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    return results


def _guarded(
    settings: Settings, source: str, key: str, body: Callable[[SourceResult], None]
) -> SourceResult:
    """Run one source/key; an upstream failure is recorded in its cursor instead of raised."""
    result = SourceResult(source, key)
    try:
        body(result)
    except UpstreamError as exc:
        result.error = str(exc)
        log.error("%s %s: %s", source, key, exc)
    except Exception as exc:  # a bug or a database hiccup in one source must not stop the rest
        result.error = f"{type(exc).__name__}: {exc}"
        log.exception("%s %s failed", source, key)
    if result.error:
        cursors.record_error(settings, source, key, result.error)
    return result


# --- arXiv ------------------------------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _arxiv_plan(settings: Settings, state: dict, since: dt.date | None) -> tuple[dict, bool]:
    """The run to do: the saved one when resuming, else a fresh one with its stop floor."""
    saved = state.get("run")
    floor = dt.datetime.combine(since, dt.time()) if since else None
    if saved and (since is None or saved.get("floor") == _iso(floor)):
        return saved, True
    if floor is None and not state.get("watermark"):
        floor = utcnow().replace(microsecond=0) - dt.timedelta(days=settings.arxiv_first_run_days)
    run = {"start": 0, "newest": None, "floor": _iso(floor), "watermark": state.get("watermark")}
    return run, False


def _arxiv(
    settings: Settings,
    client: httpx.Client,
    category: str,
    since: dt.date | None,
    result: SourceResult,
    progress: Progress | None,
) -> None:
    state = cursors.read(settings, "arxiv", category)
    run, resuming = _arxiv_plan(settings, state, since)
    cursors.begin_run(settings, "arxiv", category, resuming=resuming)
    stop_before = _from_iso(run["floor"]) or _from_iso(run["watermark"])
    for number in range(settings.arxiv_max_pages):
        if number or resuming:
            time.sleep(settings.arxiv_delay_seconds)
        page = _fetch_arxiv_page(settings, client, category, run["start"])
        fresh = [e for e in page.entries if stop_before is None or e.updated_at >= stop_before]
        newest = max((e.updated_at for e in page.entries), default=None)
        if newest and (run["newest"] is None or newest > _from_iso(run["newest"])):
            run["newest"] = _iso(newest)
        run["start"] += len(page.entries)
        done = len(fresh) < len(page.entries) or not page.entries or run["start"] >= page.total
        new_state = _arxiv_state(state, run, done)
        stats = cursors.commit_page(
            settings, "arxiv", category, [e.record for e in fresh], new_state, finished=done
        )
        _after_page(settings, result, stats, progress)
        if done:
            return
    result.note = f"stopped after {settings.arxiv_max_pages} pages; the next run continues"


def _arxiv_state(state: dict, run: dict, done: bool) -> dict:
    if not done:
        return {**state, "run": run}
    marks = [m for m in (state.get("watermark"), run["newest"]) if m]
    return {"watermark": max(marks) if marks else None, "run": None}


def _fetch_arxiv_page(
    settings: Settings, client: httpx.Client, category: str, start: int
) -> arxiv_api.ArxivPage:
    for attempt in range(EMPTY_PAGE_RETRIES + 1):
        page = arxiv_api.fetch_category_page(client, settings, category, start)
        if page.entries or start >= page.total:
            return page
        log.warning("%s: empty page at start=%d of %d; retrying", page.url, start, page.total)
        if attempt < EMPTY_PAGE_RETRIES:
            time.sleep(max(settings.arxiv_delay_seconds, http.backoff_delay(settings, attempt)))
    raise UpstreamError(page.url, f"no entries at start={start} although {page.total} match")


# --- Hugging Face -----------------------------------------------------------------------------
def _hf_days(settings: Settings, since: dt.date | None, day: dt.date | None) -> list[dt.date]:
    """Which days to read: one ``--date``; ``--since`` to today; else recent and missed days."""
    today = utcnow().date()
    if day is not None:
        return [day]
    if since is None:
        since = today - dt.timedelta(days=settings.hf_lookback_days)
        last = cursors.read(settings, "hf", HF_KEY).get("last_date")
        if last:
            missed_from = dt.date.fromisoformat(last) + dt.timedelta(days=1)
            since = max(min(since, missed_from), today - dt.timedelta(days=HF_CATCH_UP_DAYS))
    return [since + dt.timedelta(days=n) for n in range((today - since).days + 1)]


def _hf(
    settings: Settings,
    client: httpx.Client,
    days: list[dt.date],
    result: SourceResult,
    progress: Progress | None,
) -> None:
    state = cursors.read(settings, "hf", HF_KEY)
    saved = state.get("run") or {}
    cursors.begin_run(settings, "hf", HF_KEY, resuming=bool(saved))
    for index, day in enumerate(days):
        first_page = saved.get("page", 0) if saved.get("date") == day.isoformat() else 0
        for page_number in range(first_page, hf_api.MAX_PAGES_PER_DAY):
            if index or page_number:
                time.sleep(settings.arxiv_delay_seconds)
            page = hf_api.fetch_day_page(client, settings, day, page_number)
            day_done = not page.full
            last_day = index == len(days) - 1
            state = _hf_state(state, day, page_number, day_done)
            stats = cursors.commit_page(
                settings, "hf", HF_KEY, page.records, state, finished=day_done and last_day,
                prepare=hf_api.keep_arxiv_metadata,
            )  # fmt: skip
            _after_page(settings, result, stats, progress)
            if day_done:
                break


def _hf_state(state: dict, day: dt.date, page_number: int, day_done: bool) -> dict:
    last = state.get("last_date")
    if not day_done:
        return {**state, "run": {"date": day.isoformat(), "page": page_number + 1}}
    newest = max(last, day.isoformat()) if last else day.isoformat()
    return {"last_date": newest, "run": None}


# --- after each committed page ----------------------------------------------------------------
def _after_page(
    settings: Settings, result: SourceResult, stats: UpsertStats, progress: Progress | None
) -> None:
    result.add(stats)
    if stats.changed_ids and settings.embed_on_import:
        index_changed(settings, stats.changed_ids)
    if progress is not None:
        progress(f"{result.source} {result.key}", stats)


def index_changed(settings: Settings, ids: list[str]) -> None:
    """Index newly stored papers for search when the search area is installed.

    Indexing failures are logged, not raised: the papers are stored, and the search
    indexer catches up on papers it has not embedded yet.
    """
    try:
        from dailypapers.search.indexer import index_papers
    except ImportError:
        log.debug("search indexer not available; skipping indexing")
        return
    try:
        index_papers(settings, ids)
    except Exception:
        log.exception("indexing %d new papers failed; search will catch up later", len(ids))
