"""What a user follows: ``/api/me/follows`` (authors, organizations, categories, searches)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.library import follows
from dailypapers.store.db import writing
from dailypapers.store.models_library import Follow
from dailypapers.web.api.library import WRITES
from dailypapers.web.deps import get_db, get_settings_dep, require_user, require_writer

router = APIRouter(tags=["library"])
_SETTINGS = Depends(get_settings_dep)
_DB = Depends(get_db)


class FollowIn(BaseModel):
    kind: Literal["author", "org", "category", "search"]
    value: str = Field(..., examples=["Yann LeCun", "cs.LG", '"diffusion policy" has:code'])


def follow_json(f: Follow, settings: Settings) -> dict[str, Any]:
    base = settings.base_url.rstrip("/")
    return {
        "id": f.id,
        "kind": f.kind,
        "value": f.value,
        "createdAt": f.created_at.isoformat() + "Z",
        "page": f"{base}/following/{f.id}",
        "topic": follows.topic_line(f.kind, f.value),
    }


@router.get("/api/me/follows", summary="What you follow")
def list_follows(
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> list[dict[str, Any]]:
    return [follow_json(f, settings) for f in follows.list_follows(session, user.id)]


@router.post(
    "/api/me/follows",
    status_code=201,
    summary="Follow an author, organization, category or search",
    dependencies=WRITES,
)
def add_follow(
    body: FollowIn,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        row, created = follows.follow(session, user.id, body.kind, body.value)
    return follow_json(row, settings) | {"created": created}


@router.delete("/api/me/follows", summary="Unfollow (body: kind and value)", dependencies=WRITES)
def remove_follow(
    body: FollowIn,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        removed = follows.unfollow(session, user.id, body.kind, body.value)
    return {"kind": body.kind, "value": body.value, "removed": removed}
