"""``GET /healthz``: 200 when the database answers and the schema is current.
``GET /readyz``: 200 once the search index and model are loaded and warm, and the "For you"
paper data prepared (503 before)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dailypapers.foryou import personal
from dailypapers.search import is_warm
from dailypapers.store import db
from dailypapers.store.queries.stats import database_answers
from dailypapers.web.api.schemas import Health, errors

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Health check",
    responses={200: {"model": Health, "description": "The database answers."}, **errors(503)},
)
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 otherwise (for load balancers and monitors)."""
    settings = request.app.state.settings
    try:
        with db.session_scope(settings) as session:
            database_answers(session)
    except Exception as exc:  # a health check reports failures rather than raising them
        return JSONResponse({"status": "error", "detail": type(exc).__name__}, 503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    summary="Readiness check",
    responses={200: {"model": Health, "description": "`ready`: searches will not wait."},
               503: {"model": Health, "description": "`warming`: still loading; try again."}},
)  # fmt: skip
def readyz(request: Request) -> JSONResponse:
    """Ready when a first search, a first paper page and a first "For you" view will not wait
    for loading."""
    if not is_warm(request.app.state.settings) or not personal.is_warm():
        return JSONResponse({"status": "warming"}, 503)
    return JSONResponse({"status": "ready"})
