"""``/api/subscriptions``: subscribe with double opt-in, and manage a subscription by token.

``POST /api/subscriptions`` answers 202 with the same body whether the address is new,
pending, confirmed or unsubscribed; the confirmation mail goes out after the response. The
``{token}`` endpoints take the token of the preferences link found in every digest.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.digest import subscriptions as subs
from dailypapers.digest.tasks import send_now_or_queue
from dailypapers.digest.topics import MAX_TOPICS
from dailypapers.store.models import Subscription
from dailypapers.web.api.schemas import errors
from dailypapers.web.deps import get_db, get_settings_dep
from dailypapers.web.ratelimit import rate_limit

router = APIRouter(prefix="/api/subscriptions", tags=["digests"])


class SubscriptionCreate(BaseModel):
    email: str = Field(..., max_length=254, examples=["ada@example.org"])
    frequency: Literal["daily", "weekly"] = "daily"
    topics: list[str] = Field(
        default_factory=list, max_length=MAX_TOPICS,
        examples=[["diffusion models", "category:cs.CL", "org:Google", "author:Yann LeCun"]],
    )  # fmt: skip


class SubscriptionUpdate(BaseModel):
    frequency: Literal["daily", "weekly"]
    topics: list[str] = Field(default_factory=list, max_length=MAX_TOPICS)


class SubscriptionAccepted(BaseModel):
    status: Literal["pending"] = "pending"
    message: str


class SubscriptionPublic(BaseModel):
    email: str | None = Field(description="None once unsubscribed: only a hash is kept.")
    frequency: str
    topics: list[str]
    status: str


def _public(sub: Subscription) -> SubscriptionPublic:
    email = None if sub.email.startswith("sha256:") else sub.email
    return SubscriptionPublic(email=email, frequency=sub.frequency,
                              topics=list(sub.topics or []), status=sub.status)  # fmt: skip


@router.post(
    "",
    status_code=202,
    response_model=SubscriptionAccepted,
    responses=errors(422, 429),
    dependencies=[Depends(rate_limit("subscribe", per_hour=20))],
)
def create_subscription(
    body: SubscriptionCreate,
    background: BackgroundTasks,
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> SubscriptionAccepted:
    """Ask for a digest; a confirmation link is mailed (nothing else is sent before it is used)."""
    message = subs.request_subscription(session, settings, body.email, body.frequency, body.topics)
    session.commit()
    background.add_task(send_now_or_queue, settings, message)
    return SubscriptionAccepted(message=subs.SUBSCRIBE_REPLY)


@router.get("/{token}", response_model=SubscriptionPublic, responses=errors(400, 404, 422))
def get_subscription(
    token: str, session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> SubscriptionPublic:
    """The subscription a preferences-link token names."""
    return _public(subs.for_manage_token(session, settings, token))


@router.put("/{token}", response_model=SubscriptionPublic, responses=errors(400, 404, 422))
def update_subscription(
    token: str,
    body: SubscriptionUpdate,
    session: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> SubscriptionPublic:
    """Change frequency and topics (an unsubscribed address must subscribe again: 400)."""
    sub = subs.for_manage_token(session, settings, token)
    subs.update_preferences(sub, body.frequency, body.topics)
    session.commit()
    return _public(sub)


@router.delete("/{token}", response_model=SubscriptionPublic, responses=errors(400, 404, 422))
def delete_subscription(
    token: str, session: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> SubscriptionPublic:
    """Unsubscribe at once; the address is forgotten (a hash stays) and the token is revoked."""
    sub = subs.unsubscribed_by(session, settings, token)
    if sub is None:
        sub = subs.unsubscribe(subs.for_manage_token(session, settings, token))
        session.commit()
    return _public(sub)
