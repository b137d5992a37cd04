"""A confirmed demo subscriber for ``dailypapers demo``, so that a digest dry run shows a mail.

Its address is ``demo-ada@example.org`` (never deliverable: ``example.org``) and it follows
topics that the demo's papers match, one of each kind of filter a topic can use. Given the
demo-ada account, the subscription is linked to it, so its digest starts with a "For you"
section from her library.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.digest.subscriptions import check_preferences
from dailypapers.store.models import Subscription, utcnow
from dailypapers.store.models_library import SubscriptionLink

DEMO_EMAIL = "demo-ada@example.org"
DEMO_TOPICS = ["video has:code", "category:cs.CL", '"language model"']


def seed_demo_subscriber(session: Session, account: int | None = None) -> str | None:
    """Add the confirmed demo subscriber, linked to the user ``account`` when given (the
    account of that address); its address, or None when it exists already."""
    if session.scalar(select(Subscription.id).where(Subscription.email == DEMO_EMAIL)):
        return None
    frequency, topics = check_preferences("daily", DEMO_TOPICS)
    subscription = Subscription(email=DEMO_EMAIL, frequency=frequency, topics=topics,
                                status="confirmed", confirmed_at=utcnow())  # fmt: skip
    session.add(subscription)
    session.flush()
    if account is not None:
        session.add(SubscriptionLink(user_id=account, subscription_id=subscription.id))
        session.flush()
    return DEMO_EMAIL
