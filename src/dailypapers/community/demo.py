"""A little community activity for ``dailypapers demo``, clearly marked as demo data.

Four accounts named ``demo-…`` upvote papers of the newest feed days and leave a few
comments that start with "[demo]", so that the front page, Trending and the comment threads
show what they do. The papers are chosen deterministically (code links first) from the
newest days, so every demo looks the same on the day it is made. Seeding twice does nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.community.comments import add_comment
from dailypapers.community.users import create_user, find_user
from dailypapers.community.votes import upvote
from dailypapers.config import Settings
from dailypapers.store.models import FeedEntry, Paper
from dailypapers.store.trending import refresh_scores

DEMO_PASSWORD = "demo-password"  # noqa: S105 (a local demo's published password)
DEMO_USERS = ("demo-ada", "demo-grace", "demo-alan", "demo-barbara")
_COMMENTS = (
    "[demo] The ablation in the experiments section answers the question I had.",
    "[demo] Code is linked; the README reproduces the main table in a few commands.",
    "[demo] Would like to see this compared with the strongest baseline from last month.",
    "[demo] Clear write-up. The limitations paragraph is unusually honest.",
    "[demo] Does anyone know whether the evaluation data overlaps with pre-training?",
    "[demo] Tried it on our data: similar gains, smaller than reported.",
)


@dataclass(frozen=True, slots=True)
class DemoActivity:
    users: int
    upvotes: int
    comments: int


def _newest_papers(session: Session, days: int, limit: int) -> list[str]:
    """Papers of the newest ``days`` feed days, those with code first, in a stable order."""
    newest = select(FeedEntry.feed_date).distinct().order_by(FeedEntry.feed_date.desc())
    wanted = list(session.scalars(newest.limit(days)))
    if not wanted:
        return []
    rows = session.execute(
        select(Paper.id, Paper.github_repo)
        .join(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(FeedEntry.feed_date.in_(wanted))
        .order_by(FeedEntry.feed_date.desc(), Paper.id)
    ).all()
    with_code = [pid for pid, repo in rows if repo]
    without = [pid for pid, repo in rows if not repo]
    return (with_code + without)[:limit]


def seed_demo_activity(session: Session, settings: Settings) -> DemoActivity:
    """Create the demo accounts, upvotes and comments (nothing when they exist already)."""
    if find_user(session, DEMO_USERS[0]) is not None:
        return DemoActivity(0, 0, 0)
    users = [
        CurrentUser.from_row(
            create_user(session, name, f"{name}@example.org", DEMO_PASSWORD, is_admin=i == 0)
        )
        for i, name in enumerate(DEMO_USERS)
    ]
    papers = _newest_papers(session, days=2, limit=24)
    rng = random.Random(13)  # the same activity in every demo
    votes = comments = 0
    for rank, paper_id in enumerate(papers):
        voters = users[: max(1, len(users) - rank // 6)]  # earlier papers get more votes
        for user in voters:
            votes += upvote(session, settings, user.id, paper_id).changed
        if rank % 4 == 0:
            add_comment(session, settings, rng.choice(users), paper_id, _COMMENTS[comments % 6])
            comments += 1
    refresh_scores(session, settings, papers)
    return DemoActivity(len(users), votes, comments)
