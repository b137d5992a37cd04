"""``/api/me/channels``: the signed-in user's delivery channels (Bearer token or session).

The channel URL is write-only: answers show a masked form (``url``). A webhook channel's
signing secret is in the creation answer only (``secret``).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dailypapers import channels
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.store.db import writing
from dailypapers.web.api.schemas import errors
from dailypapers.web.deps import DbId, get_db, get_settings_dep, require_user, require_writer
from dailypapers.web.ratelimit import rate_limit

router = APIRouter(tags=["channels"])


class ChannelIn(BaseModel):
    url: str = Field(..., max_length=2000, examples=["https://discord.com/api/webhooks/1/abc"],
                     description="A Slack/Discord/Mattermost/Matrix/ntfy… URL (apprise syntax) "
                     "or an https:// URL for a signed JSON webhook.")  # fmt: skip
    name: str = Field("", max_length=100)
    digest: Literal["none", "daily", "weekly"] = "daily"
    alerts: bool = True


@router.get("/api/me/channels", summary="Your channels (URLs masked)")
def list_channels(
    user: CurrentUser = Depends(require_user), session: Session = Depends(get_db)
) -> list[dict]:
    """Your Slack, Discord, Matrix, ntfy or webhook channels, their URLs masked."""
    return [channels.public_view(c) for c in channels.list_channels(session, user.id)]


@router.post(
    "/api/me/channels", status_code=201, summary="Add a channel",
    dependencies=[Depends(rate_limit("channel", per_hour=30))],
)  # fmt: skip
def add_channel(
    body: ChannelIn, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep),
) -> dict:  # fmt: skip
    """Validates the URL (and refuses private addresses); a webhook's ``secret`` is shown once."""
    with writing(session, settings):
        made = channels.add_channel(session, settings, user.id, body.url, name=body.name,
                                    digest=body.digest, alerts=body.alerts)  # fmt: skip
    view = channels.public_view(made.channel)
    return view | ({"secret": made.secret} if made.secret else {})


@router.delete("/api/me/channels/{channel_id}", summary="Delete a channel",
               responses=errors(401, 403, 404, 422))  # fmt: skip
def delete_channel(
    channel_id: DbId, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep),
) -> dict:  # fmt: skip
    """Delete one of your channels; nothing more is sent to it."""
    with writing(session, settings):
        channels.delete_channel(session, user.id, channel_id)
    return {"deleted": channel_id}


@router.post(
    "/api/me/channels/{channel_id}/test", summary="Send a test message now",
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(rate_limit("channel-test", per_minute=5))],
)  # fmt: skip
def test_channel(
    channel_id: DbId, user: CurrentUser = Depends(require_writer),
    session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep),
) -> dict:  # fmt: skip
    """One attempt, no retry: ``status`` is ``sent``, ``temporary`` or ``permanent``."""
    outcome = channels.send_test(session, settings, channels.get_channel(session, user.id,
                                                                         channel_id))  # fmt: skip
    return {"status": outcome.status, "error": outcome.error or None}
