"""The user's own data: everything held about them (``GET /api/me/export``) and deleting the
account (``DELETE /api/me``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import Invalid
from dailypapers.library import account
from dailypapers.store.db import writing
from dailypapers.web.deps import get_db, get_settings_dep, require_user, require_writer
from dailypapers.web.ratelimit import rate_limit

router = APIRouter(tags=["library"])
_SETTINGS = Depends(get_settings_dep)
_DB = Depends(get_db)


_EXPORT_ME: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One JSON document.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        key: {"description": text}
                        for key, text in (
                            ("account", "name, email, dates and settings"),
                            ("library", "saved papers with tags, notes and read state"),
                            ("collections", "your collections"),
                            ("follows", "what you follow"),
                            ("votes", "papers you upvoted"),
                            ("comments", "your comments"),
                            ("submissions", "papers you submitted"),
                            ("subscriptions", "digest subscriptions"),
                            ("tokens", "names of your API tokens"),
                        )
                    },
                },
            }
        },
    }
}


class DeleteAccountIn(BaseModel):
    confirm: str = Field(..., description="Your user name, to confirm")


@router.get(
    "/api/me/export",
    summary="Everything the service holds about you (one JSON file)",
    response_class=Response,
    responses=_EXPORT_ME,
)
def export_me(user: CurrentUser = Depends(require_user), session: Session = _DB) -> Response:
    data = account.export_personal_data(session, user.id)
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="{user.username}-dailypapers.json"',
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/api/me",
    summary="Delete your account and all its data",
    dependencies=[Depends(rate_limit("account-delete", per_hour=10))],
)
def delete_me(
    body: DeleteAccountIn,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    """Send ``{"confirm": "<your user name>"}``. Votes and comments stop counting at once."""
    if body.confirm != user.username:
        raise Invalid("To delete your account, send your user name as confirm.")
    with writing(session, settings):
        counts = account.delete_account(session, settings, user.id)
    return {
        "deleted": user.username,
        "votesWithdrawn": counts.get("votes", 0),
        "commentsDeleted": counts.get("comments", 0),
    }
