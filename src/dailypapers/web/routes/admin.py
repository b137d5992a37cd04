"""Admin view of live ingestion: each source's last run, cursor, counts and last error.

``/admin/ingest`` (HTML) and ``/api/admin/ingest`` (JSON) need an administrator; the page's
"Run now" buttons queue an ingestion task for ``dailypapers worker``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from dailypapers import jobs
from dailypapers.community.auth import CurrentUser, require_admin
from dailypapers.ingest import cursors, live
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter()


def _rows(request: Request) -> list[dict[str, Any]]:
    settings = request.app.state.settings
    return [
        {
            "source": s.source,
            "key": s.key,
            "last_run_at": s.last_run_at.isoformat(timespec="seconds") if s.last_run_at else None,
            "last_success_at": (
                s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else None
            ),
            "cursor": s.cursor,
            "cursor_text": cursors.describe(s.source, s.cursor),
            "added": s.added,
            "updated": s.updated,
            "last_error": s.last_error,
        }
        for s in cursors.status(settings)
    ]


def _queue_info() -> dict[str, Any]:
    """Queue backend and pending tasks; a queue that cannot be reached is shown, not raised."""
    try:
        return {"backend": jobs.huey.backend, "pending": jobs.huey.pending_count(), "error": None}
    except Exception as exc:  # a down Redis must not take the status page with it
        log.warning("job queue unavailable: %s", exc)
        return {"backend": "unavailable", "pending": None, "error": str(exc)}


@router.get("/admin/ingest", response_class=HTMLResponse, include_in_schema=False)
async def ingest_page(
    request: Request, queued: str | None = None, user: CurrentUser = Depends(require_admin)
) -> HTMLResponse:
    rows = await run_in_threadpool(_rows, request)
    queue = await run_in_threadpool(_queue_info)
    notice = f"Queued a {queued} run for the worker." if queued in live.SOURCES else None
    return render(request, "admin/ingest.html", rows=rows, queue=queue, notice=notice,
                  sources=live.SOURCES)  # fmt: skip


@router.get("/api/admin/ingest", tags=["admin"])
async def ingest_status(
    request: Request, user: CurrentUser = Depends(require_admin)
) -> dict[str, Any]:
    """Ingestion status per source and key (administrators only)."""
    rows = await run_in_threadpool(_rows, request)
    return {"sources": rows, "queue": await run_in_threadpool(_queue_info)}


@router.post("/admin/ingest/run", include_in_schema=False, dependencies=[Depends(require_csrf)])
async def run_now(
    source: str = Form(""), user: CurrentUser = Depends(require_admin)
) -> RedirectResponse:
    if source not in live.SOURCES:
        raise HTTPException(422, f"Choose a source: {', '.join(live.SOURCES)}.")
    from dailypapers.ingest.tasks import ingest_now

    try:
        await run_in_threadpool(ingest_now, source)
    except Exception as exc:
        log.exception("could not queue ingestion of %s", source)
        raise HTTPException(503, f"The job queue is unavailable: {exc}") from None
    return RedirectResponse(f"/admin/ingest?queued={source}", status_code=303)
