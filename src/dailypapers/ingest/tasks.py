"""Scheduled ingestion for ``dailypapers worker``.

``DAILYPAPERS_INGEST_ARXIV_CRON`` (default hourly at :15, 00:00-06:59 UTC, Monday to Friday: arXiv
announces new papers at 20:00 US Eastern, Sunday to Thursday) and ``DAILYPAPERS_INGEST_HF_CRON``
(default daily at 23:40 UTC) decide when they run. A lock keeps two runs of one source from
overlapping when a run outlasts its interval (the worker clears stale locks when it starts).
``ingest_now`` queues a run on demand.
"""

from __future__ import annotations

import logging

from huey.exceptions import TaskLockedException

from dailypapers.foryou.terms import store_term_counts
from dailypapers.ingest import live
from dailypapers.jobs import cron, current_settings, huey
from dailypapers.search import backfill_vectors

log = logging.getLogger(__name__)

# Declared at import so that the worker flushes them when it starts: a lock left behind by a
# worker that was killed mid-run would otherwise skip that source forever.
LOCKS = {source: huey.lock_task(f"ingest-{source}") for source in live.SOURCES}
BACKFILL_LOCK = huey.lock_task("index-backfill")


def run_source(source: str) -> list[dict]:
    """Run one source under its lock; returns a small summary (stored as the task result)."""
    settings = current_settings()
    try:
        with LOCKS[source]:
            results = live.run(settings, [source])
    except TaskLockedException:
        log.info("ingest %s is already running; this turn is skipped", source)
        return []
    summary = [
        {"source": r.source, "key": r.key, "added": r.added, "updated": r.updated,
         "error": r.error}
        for r in results
    ]  # fmt: skip
    for r in results:
        level = logging.WARNING if r.error else logging.INFO
        log.log(level, "ingest %s %s: %d added, %d updated%s", r.source, r.key, r.added,
                r.updated, f"; error: {r.error}" if r.error else "")  # fmt: skip
    return summary


@huey.periodic_task(cron(lambda s: s.ingest_arxiv_cron), name="ingest_arxiv")
def ingest_arxiv() -> list[dict]:
    """Fetch new arXiv papers of the configured categories."""
    return run_source("arxiv")


@huey.periodic_task(cron(lambda s: s.ingest_hf_cron), name="ingest_hf")
def ingest_hf() -> list[dict]:
    """Fetch recent Hugging Face daily papers (upvotes, comments, organizations)."""
    return run_source("hf")


@huey.task(name="ingest_now")
def ingest_now(source: str) -> list[dict]:
    """Queue an ingestion run of ``source`` (``arxiv`` or ``hf``) right away."""
    if source not in live.SOURCES:
        raise ValueError(f"unknown source {source!r}")
    return run_source(source)


@huey.periodic_task(cron(lambda s: s.index_backfill_cron), name="index.backfill")
def backfill_index() -> int:
    """Embed up to ``index_backfill_batch`` papers still without a current vector, and store
    the term counts ("For you") of every paper without current ones.

    Web workers pick the new vectors up at their next index refresh. Returns how many papers
    were embedded (0 when another run holds the lock).
    """
    settings = current_settings()
    try:
        with BACKFILL_LOCK:
            done = backfill_vectors(settings, limit=settings.index_backfill_batch)
            counted = store_term_counts(settings)
    except TaskLockedException:
        log.info("index backfill is already running; this turn is skipped")
        return 0
    if done or counted:
        log.info("index backfill: %d papers embedded, %d term counts stored", done, counted)
    return done
