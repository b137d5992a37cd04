"""A confirmed demo subscriber for ``dailypapers demo``, so that a digest dry run shows a mail.

Its address is ``demo-ada@example.org`` (never deliverable: ``example.org``) and it follows
topics that the demo's papers match, one of each kind of filter a topic can use.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.digest.subscriptions import check_preferences
from dailypapers.store.models import Subscription, utcnow

DEMO_EMAIL = "demo-ada@example.org"
DEMO_TOPICS = ["video has:code", "category:cs.CL", '"language model"']


def seed_demo_subscriber(session: Session) -> str | None:
    """Add the confirmed demo subscriber; its address, or None when it exists already."""
    if session.scalar(select(Subscription.id).where(Subscription.email == DEMO_EMAIL)):
        return None
    frequency, topics = check_preferences("daily", DEMO_TOPICS)
    session.add(Subscription(email=DEMO_EMAIL, frequency=frequency, topics=topics,
                             status="confirmed", confirmed_at=utcnow()))  # fmt: skip
    session.flush()
    return DEMO_EMAIL
