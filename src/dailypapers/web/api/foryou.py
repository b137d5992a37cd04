"""The personal ranking API: ``GET /api/me/for-you`` and "not interested" marks.

``/api/me/for-you`` answers like ``/api/daily_papers`` (Hugging Face shape), each item with a
``score`` (standard units: 0 is a typical paper) and its ``reasons``. Authenticate with
``Authorization: Bearer TOKEN`` (or the site's session cookie plus ``X-CSRF-Token`` for writes).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.feed.windows import Window, parse_day
from dailypapers.feed.windows import sentence as _sentence
from dailypapers.foryou import personal, service
from dailypapers.store.db import writing
from dailypapers.store.models_foryou import ForYouRule
from dailypapers.store.queries.feed import default_window
from dailypapers.store.queries.foryou import rules_of
from dailypapers.web.api.daily_papers import window_from_params
from dailypapers.web.api.schemas import daily_item_to_hf
from dailypapers.web.deps import DbId, get_db, get_settings_dep, require_user, require_writer
from dailypapers.web.ratelimit import rate_limit

router = APIRouter(tags=["for you"])
_SETTINGS = Depends(get_settings_dep)
MAX_LIMIT = 100


class NotInterestedIn(BaseModel):
    paper_id: str = Field(..., description="arXiv id, arXiv URL or t- id", examples=["2503.11731"])


class RuleIn(BaseModel):
    action: str = Field(..., description="always or never", examples=["always"])
    query: str = Field(..., description="A query in the /search language", max_length=500,
                       examples=['"diffusion policy"'])  # fmt: skip


def window_of(
    session: Session, date: str | None, week: str | None, month: str | None,
    since: str | None, until: str | None,
) -> Window:  # fmt: skip
    """The window asked for: one of date/week/month, or since/until; default the latest day."""
    if since or until:
        if date or week or month:
            raise HTTPException(400, "Give either date, week or month, or since and until.")
        try:
            start = (
                parse_day(since)
                if since
                else Window.containing("day", parse_day(until or "")).start
            )
            end = parse_day(until) if until else start.replace(year=9999)
            return Window.between(start, end)
        except ValueError as exc:
            raise HTTPException(400, _sentence(str(exc))) from None
    return window_from_params(date, week, month) or default_window(session, "day")


@router.get("/api/me/for-you", summary="Your personal ranking of a window of the feed")
def for_you(
    request: Request,
    date: str | None = Query(None, description="Feed date YYYY-MM-DD"),
    week: str | None = Query(None, description="ISO week YYYY-Www"),
    month: str | None = Query(None, description="Month YYYY-MM"),
    since: str | None = Query(None, description="First feed date YYYY-MM-DD (with until)"),
    until: str | None = Query(None, description="Last feed date YYYY-MM-DD"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    p: int = Query(0, ge=0, le=10_000, description="Page, from 0"),
    user: CurrentUser = Depends(require_user),
    session: Session = Depends(get_db),
    settings: Settings = _SETTINGS,
) -> list[dict]:
    """The window's papers, best first, each with ``score`` and ``reasons``."""
    window = window_of(session, date, week, month, since, until)
    found = personal.page(
        session, user.id, window.start, window.end, model=settings.embedding_model,
        offset=p * limit, limit=limit,
    )  # fmt: skip
    return [daily_item_to_hf(e.item) | {"score": e.score, "reasons": list(e.reasons)}
            for e in found.entries]  # fmt: skip


@router.post(
    "/api/me/not-interested",
    status_code=201,
    summary="Mark a paper as not interesting (hides it, and teaches the ranking)",
    dependencies=[Depends(rate_limit("not-interested", per_minute=120))],
)
def not_interested(
    body: NotInterestedIn, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    with writing(session, settings):
        paper_id = service.mark_not_interested(session, user.id, body.paper_id)
    return {"paper_id": paper_id, "notInterested": True}


@router.delete(
    "/api/me/not-interested/{paper_id:paper_id}",
    summary="Withdraw a not-interested mark (its influence goes with it)",
    dependencies=[Depends(rate_limit("not-interested", per_minute=120))],
)
def interested_again(
    paper_id: str, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    with writing(session, settings):
        removed = service.unmark_not_interested(session, user.id, paper_id)
    return {"paper_id": paper_id, "notInterested": False, "removed": removed}


def _rule_json(rule: ForYouRule) -> dict:
    return {"id": rule.id, "action": rule.action, "query": rule.query}


@router.get("/api/me/for-you/rules", summary="Your always/never rules")
def list_rules(
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db)
) -> list[dict]:
    return [_rule_json(r) for r in rules_of(session, user.id)]


@router.post(
    "/api/me/for-you/rules",
    status_code=201,
    summary="Add an always/never rule (a query in the /search language)",
    dependencies=[Depends(rate_limit("rules", per_minute=30))],
)
def add_rule(
    body: RuleIn, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    with writing(session, settings):
        rule = service.add_rule(session, user.id, body.action, body.query)
        out = _rule_json(rule)
    return out


@router.delete(
    "/api/me/for-you/rules/{rule_id}",
    summary="Delete a rule",
    dependencies=[Depends(rate_limit("rules", per_minute=30))],
)
def delete_rule(
    rule_id: DbId, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = _SETTINGS,
) -> dict:  # fmt: skip
    with writing(session, settings):
        service.delete_rule(session, user.id, rule_id)
    return {"id": rule_id, "deleted": True}
