"""``/api/admin/ingest``: ingestion status per source and key, for administrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from dailypapers import jobs
from dailypapers.community.auth import CurrentUser
from dailypapers.ingest.cursors import ingest_status_rows
from dailypapers.web.api.schemas import IngestStatus, errors
from dailypapers.web.deps import require_admin

router = APIRouter(tags=["admin"])


@router.get(
    "/api/admin/ingest",
    summary="Ingestion status",
    response_model=IngestStatus,
    responses=errors(401, 403),
)
async def ingest_status(
    request: Request, user: CurrentUser = Depends(require_admin)
) -> dict[str, Any]:
    """Ingestion status per source and key (administrators only)."""
    rows = await run_in_threadpool(ingest_status_rows, request.app.state.settings)
    return {"sources": rows, "queue": await run_in_threadpool(jobs.queue_info)}
