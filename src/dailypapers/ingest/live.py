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

OAI-PMH (``--source oai``, backfills only): ``ListRecords`` from a date, following
resumption tokens; the cursor keeps the token of a harvest in progress.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from dailypapers.config import Settings
from dailypapers.foryou.terms import store_term_counts
from dailypapers.ingest import arxiv_api, cursors, hf_api, http, oai
from dailypapers.ingest.http import UpstreamError, UpstreamUnreachable
from dailypapers.store.models import utcnow
from dailypapers.store.papers import UpsertStats
from dailypapers.store.records import PaperRecord

log = logging.getLogger(__name__)

SOURCES = ("arxiv", "hf")  # what "all" runs
BACKFILL_SOURCES = ("oai",)  # on request only
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
    unreachable: bool = False  # the error was a failure to connect at all
    note: str = ""
    changed_ids: list[str] = field(default_factory=list)

    def add(self, stats: UpsertStats) -> None:
        self.added += stats.added
        self.updated += stats.updated
        self.skipped += stats.skipped
        self.pages += 1
        self.changed_ids.extend(stats.changed_ids)


@dataclass
class _Run:
    """What every step of one ``run`` shares."""

    settings: Settings
    client: httpx.Client
    progress: Progress | None
    dry_run: bool
    last_call: float | None = None

    def pace(self) -> None:
        """Keep ``arxiv_delay_seconds`` between upstream calls, across sources and categories."""
        now = time.monotonic()
        if self.last_call is not None:
            time.sleep(max(0.0, self.last_call + self.settings.arxiv_delay_seconds - now))
        self.last_call = time.monotonic()

    def commit(
        self, source: str, key: str, records: list[PaperRecord], state: dict, **kw: Any
    ) -> UpsertStats:
        """Store a page and the cursor after it (or, in a dry run, only count)."""
        return cursors.commit_page(
            self.settings, source, key, records, state, dry_run=self.dry_run, **kw
        )

    def begin(self, source: str, key: str, *, resuming: bool) -> None:
        if not self.dry_run:
            cursors.begin_run(self.settings, source, key, resuming=resuming)


def run(
    settings: Settings,
    sources: Iterable[str] = SOURCES,
    *,
    categories: list[str] | None = None,
    since: dt.date | None = None,
    day: dt.date | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> list[SourceResult]:
    """Run the given sources; never raises for upstream failures (see each result's error).

    ``dry_run`` fetches and compares with the database as usual but stores nothing (neither
    papers nor cursors): the counts say what a real run would add and update.
    """
    known = SOURCES + BACKFILL_SOURCES
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; choose from {', '.join(known)}")
    results: list[SourceResult] = []
    with http.make_client(settings) as client:
        ctx = _Run(settings, client, progress, dry_run)
        for source in sources:
            if source == "arxiv":
                down: SourceResult | None = None  # an unreachable host is not asked again
                for category in categories or settings.arxiv_categories:
                    if down is not None:
                        results.append(_same_failure(ctx, down, category))
                        continue
                    body = functools.partial(_arxiv, ctx, category, since)
                    results.append(_guarded(ctx, "arxiv", category, body))
                    down = results[-1] if results[-1].unreachable else None
            elif source == "oai":
                wanted = set(categories or settings.arxiv_categories)
                body = functools.partial(_oai, ctx, settings.arxiv_oai_set, since, wanted)
                results.append(_guarded(ctx, "oai", settings.arxiv_oai_set, body))
            else:
                body = functools.partial(_hf, ctx, _hf_days(settings, since, day))
                results.append(_guarded(ctx, "hf", HF_KEY, body))
    return results


def _same_failure(ctx: _Run, down: SourceResult, key: str) -> SourceResult:
    """The result of a key not tried because its host was just found unreachable."""
    result = SourceResult(down.source, key, error=down.error, unreachable=True)
    if not ctx.dry_run:
        cursors.record_error(ctx.settings, down.source, key, result.error or "")
    return result


def _guarded(
    ctx: _Run, source: str, key: str, body: Callable[[SourceResult], None]
) -> SourceResult:
    """Run one source/key; a failure is recorded in its cursor instead of raised."""
    result = SourceResult(source, key)
    try:
        body(result)
    except UpstreamError as exc:
        result.error = str(exc)
        result.unreachable = isinstance(exc, UpstreamUnreachable)
        log.info("%s %s failed: %s", source, key, exc)  # callers report result.error
    except Exception as exc:  # a bug or a database hiccup in one source must not stop the rest
        result.error = f"{type(exc).__name__}: {exc}"
        log.exception("%s %s failed", source, key)
    if result.error and not ctx.dry_run:
        cursors.record_error(ctx.settings, source, key, result.error)
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


def _arxiv(ctx: _Run, category: str, since: dt.date | None, result: SourceResult) -> None:
    settings = ctx.settings
    state = cursors.read(settings, "arxiv", category)
    run, resuming = _arxiv_plan(settings, state, since)
    ctx.begin("arxiv", category, resuming=resuming)
    stop_before = _from_iso(run["floor"]) or _from_iso(run["watermark"])
    for _ in range(settings.arxiv_max_pages):
        page = _fetch_arxiv_page(ctx, category, run["start"])
        fresh = [e for e in page.entries if stop_before is None or e.updated_at >= stop_before]
        newest = max((e.updated_at for e in page.entries), default=None)
        known = _from_iso(run["newest"])
        if newest and (known is None or newest > known):
            run["newest"] = _iso(newest)
        run["start"] += len(page.entries)
        done = len(fresh) < len(page.entries) or not page.entries or run["start"] >= page.total
        new_state = _arxiv_state(state, run, done)
        records = [e.record for e in fresh]
        stats = ctx.commit("arxiv", category, records, new_state, finished=done)
        _after_page(ctx, result, stats)
        if done:
            return
    result.note = f"stopped after {settings.arxiv_max_pages} pages; the next run continues"


def _arxiv_state(state: dict, run: dict, done: bool) -> dict:
    if not done:
        return {**state, "run": run}
    marks = [m for m in (state.get("watermark"), run["newest"]) if m]
    return {"watermark": max(marks) if marks else None, "run": None}


def _fetch_arxiv_page(ctx: _Run, category: str, start: int) -> arxiv_api.ArxivPage:
    settings = ctx.settings
    for attempt in range(EMPTY_PAGE_RETRIES + 1):
        ctx.pace()
        page = arxiv_api.fetch_category_page(ctx.client, settings, category, start)
        if page.entries or start >= page.total:
            return page
        log.warning("%s: empty page at start=%d of %d; retrying", page.url, start, page.total)
        if attempt < EMPTY_PAGE_RETRIES:
            time.sleep(http.backoff_delay(settings, attempt))  # pace() adds the polite delay
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


def _hf(ctx: _Run, days: list[dt.date], result: SourceResult) -> None:
    settings = ctx.settings
    state = cursors.read(settings, "hf", HF_KEY)
    saved = state.get("run") or {}
    ctx.begin("hf", HF_KEY, resuming=bool(saved))
    for index, day in enumerate(days):
        first_page = saved.get("page", 0) if saved.get("date") == day.isoformat() else 0
        for page_number in range(first_page, hf_api.MAX_PAGES_PER_DAY):
            ctx.pace()
            page = hf_api.fetch_day_page(ctx.client, settings, day, page_number)
            day_done = not page.full
            finished = day_done and index == len(days) - 1
            state = _hf_state(state, day, page_number, day_done)
            stats = ctx.commit("hf", HF_KEY, page.records, state, finished=finished,
                               prepare=hf_api.keep_arxiv_metadata)  # fmt: skip
            _after_page(ctx, result, stats)
            if day_done:
                break


def _hf_state(state: dict, day: dt.date, page_number: int, day_done: bool) -> dict:
    last = state.get("last_date")
    if not day_done:
        return {**state, "run": {"date": day.isoformat(), "page": page_number + 1}}
    newest = max(last, day.isoformat()) if last else day.isoformat()
    return {"last_date": newest, "run": None}


# --- OAI-PMH backfill ------------------------------------------------------------------------
def _oai_plan(settings: Settings, state: dict, since: dt.date | None) -> tuple[dict, bool]:
    """The harvest to do: the saved one when resuming, else one from ``since`` or the cursor."""
    saved = state.get("run")
    if saved and (since is None or saved.get("from") == since.isoformat()):
        return dict(saved), True
    default = utcnow().date() - dt.timedelta(days=settings.arxiv_first_run_days)
    start = since.isoformat() if since else state.get("through", default.isoformat())
    return {"from": start, "token": None, "started_on": utcnow().date().isoformat()}, False


def _oai(
    ctx: _Run, set_spec: str, since: dt.date | None, wanted: set[str], result: SourceResult
) -> None:
    """Harvest ``set_spec`` from ``since`` (else from where the last harvest ended)."""
    settings = ctx.settings
    state = cursors.read(settings, "oai", set_spec)
    run, resuming = _oai_plan(settings, state, since)
    ctx.begin("oai", set_spec, resuming=resuming)
    for number in range(settings.arxiv_max_pages * 10):
        ctx.pace()
        page = _oai_page(ctx, set_spec, run, may_restart=resuming and number == 0)
        run["token"] = page.token
        records = [r for r in page.records if wanted.intersection(r.categories)]
        done = page.token is None
        new_state = {"through": run["started_on"], "run": None} if done else {**state, "run": run}
        stats = ctx.commit("oai", set_spec, records, new_state, finished=done)
        _after_page(ctx, result, stats)
        if done:
            return
    result.note = "page limit reached; the next run continues the harvest"


def _oai_page(ctx: _Run, set_spec: str, run: dict, *, may_restart: bool) -> oai.OaiPage:
    start = dt.date.fromisoformat(run["from"])
    try:
        return oai.list_records(ctx.client, ctx.settings, set_spec=set_spec, since=start,
                                token=run["token"])  # fmt: skip
    except oai.OaiProtocolError as exc:
        if exc.code != "badResumptionToken" or not may_restart:
            raise
        # a saved token has expired: start over from the harvest's date (upserts are idempotent)
        log.warning("%s; restarting the harvest from %s", exc, start)
        return oai.list_records(ctx.client, ctx.settings, set_spec=set_spec, since=start)


# --- after each committed page ----------------------------------------------------------------
def _after_page(ctx: _Run, result: SourceResult, stats: UpsertStats) -> None:
    result.add(stats)
    if stats.changed_ids and ctx.settings.embed_on_import and not ctx.dry_run:
        index_changed(ctx.settings, stats.changed_ids)
    if ctx.progress is not None:
        ctx.progress(f"{result.source} {result.key}", stats)


def index_changed(settings: Settings, ids: list[str]) -> None:
    """Index newly stored papers for search when the search area is installed.

    Indexing failures are logged, not raised: the papers are stored, and the search
    indexer catches up on papers it has not embedded yet.
    """
    try:
        from dailypapers.search import index_papers
    except ModuleNotFoundError as exc:
        if exc.name != "dailypapers.search":
            raise
        log.debug("search indexer not available; skipping indexing")
        return
    try:
        index_papers(settings, ids)
        store_term_counts(settings, ids)
    except Exception:
        log.exception("indexing %d new papers failed; search will catch up later", len(ids))
