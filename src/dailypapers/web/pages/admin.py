"""Admin page of live ingestion: each source's last run, cursor, counts and last error.

``/admin/ingest`` needs an administrator (its JSON twin is ``web/api/admin.py``); the page's
"Run now" buttons queue an ingestion task for ``dailypapers worker``.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from dailypapers import jobs
from dailypapers.community.auth import CurrentUser
from dailypapers.ingest import live
from dailypapers.ingest.cursors import ingest_status_rows
from dailypapers.web.deps import require_admin
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/admin/ingest", response_class=HTMLResponse, include_in_schema=False)
async def ingest_page(
    request: Request, queued: str | None = None, user: CurrentUser = Depends(require_admin)
) -> HTMLResponse:
    rows = await run_in_threadpool(ingest_status_rows, request.app.state.settings)
    queue = await run_in_threadpool(jobs.queue_info)
    notice = f"Queued a {queued} run for the worker." if queued in live.SOURCES else None
    return render(request, "admin/ingest.html", rows=rows, queue=queue, notice=notice,
                  sources=live.SOURCES)  # fmt: skip


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
