"""What each channel should receive: alert batches and digests, as ``Message`` plans.

Reads only; nothing is written here. A plan is the list of steps of one channel, in order:
an alert step may carry no message (nothing matched), and then it only moves the channel's
alert cursor past that batch.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.channels.follows import Follow, FollowSource, PaperIndex, load_follows, matched
from dailypapers.channels.message import Entry, Message, Section
from dailypapers.config import Settings
from dailypapers.feed.windows import Window
from dailypapers.store.models import Paper, utcnow
from dailypapers.store.models_channels import AlertBatch, Channel, ChannelSend
from dailypapers.store.queries.feed import list_feed
from dailypapers.store.queries.papers import FeedItem, papers_by_ids

WINDOW_PAPERS = 5000  # papers of a digest window scanned for follows


@dataclass
class Step:
    message: Message | None
    batch_id: int | None = None  # an alert step: the batch it covers


@dataclass
class Plan:
    channel_id: int
    steps: list[Step] = field(default_factory=list)


# --- alert batches -------------------------------------------------------------------------
def cut_alert_batch(session: Session, now: dt.datetime | None = None) -> AlertBatch | None:
    """Fix the papers stored since the last batch as a new batch (None when there are none).

    The first batch reaches back one day. The caller commits; a concurrent cut of the same
    span fails on the unique ``since`` and the caller rolls back.
    """
    now = now or utcnow()
    last = session.scalar(select(func.max(AlertBatch.until)))
    since = last or now - dt.timedelta(days=1)
    ids = list(session.scalars(
        select(Paper.id).where(Paper.created_at > since, Paper.created_at <= now)
        .order_by(Paper.created_at, Paper.id)
    ))  # fmt: skip
    if not ids:
        return None
    batch = AlertBatch(since=since, until=now, paper_ids=ids)
    session.add(batch)
    session.flush()
    return batch


def latest_batch_id(session: Session) -> int:
    return int(session.scalar(select(func.max(AlertBatch.id))) or 0)


def plan_alerts(settings: Settings, session: Session,
                follows: FollowSource = load_follows) -> list[Plan]:  # fmt: skip
    """For every active alert channel, one step per batch it has not processed yet."""
    channels = list(session.execute(
        select(Channel.id, Channel.user_id, Channel.alerts_done_batch)
        .where(Channel.status == "active", Channel.alerts.is_(True))
    ))  # fmt: skip
    if not channels:
        return []
    oldest = min(c.alerts_done_batch for c in channels)
    batches = list(session.scalars(
        select(AlertBatch).where(AlertBatch.id > oldest).order_by(AlertBatch.id)
    ))  # fmt: skip
    if not batches:
        return []
    by_user = follows(session, sorted({c.user_id for c in channels}))
    indexes = {b.id: PaperIndex(papers_by_ids(session, b.paper_ids)) for b in batches}
    plans = []
    for ch in channels:
        steps = [Step(_alert(settings, b.id, indexes[b.id], by_user.get(ch.user_id, [])), b.id)
                 for b in batches if b.id > ch.alerts_done_batch]  # fmt: skip
        if steps:
            plans.append(Plan(ch.id, steps))
    return plans


def _alert(settings: Settings, batch_id: int, index: PaperIndex,
           follows: list[Follow]) -> Message | None:  # fmt: skip
    hits = matched(index, follows, settings.channel_alert_max_papers) if follows else []
    if not hits:
        return None
    title = f"{len(hits)} new paper{'s' if len(hits) > 1 else ''} matching what you follow"
    entries = [Entry(item, note) for item, note in hits]
    return Message("alert", f"alert:{batch_id}", title, [Section("New papers", entries)])


# --- digests -------------------------------------------------------------------------------
def digest_key(frequency: str, today: dt.date) -> str:
    if frequency == "weekly":
        year, week, _ = today.isocalendar()
        return f"digest:weekly:{year}-W{week:02d}"
    return f"digest:daily:{today.isoformat()}"


def _for_you(settings: Settings, session: Session, user_id: int, window: Window,
             limit: int) -> list[Entry]:  # fmt: skip
    """The "For you" section (``foryou.personal.page`` once installed; empty until then, and
    for a user without any signal)."""
    try:
        personal = importlib.import_module("dailypapers.foryou.personal")
    except ModuleNotFoundError:
        return []
    ranked = personal.page(session, user_id, window.start, window.end,
                           model=settings.embedding_model, limit=limit)  # fmt: skip
    if ranked.cold:
        return []
    return [Entry(e.item, "; ".join(e.reasons)) for e in ranked.entries]


def plan_digests(settings: Settings, session: Session, frequency: str, today: dt.date,
                 follows: FollowSource = load_follows) -> list[Plan]:  # fmt: skip
    """One digest step for every active channel of ``frequency`` not yet sent this period."""
    key = digest_key(frequency, today)
    done = select(ChannelSend.channel_id).where(ChannelSend.key == key,
                                                ChannelSend.status == "sent")  # fmt: skip
    channels = list(session.execute(
        select(Channel.id, Channel.user_id)
        .where(Channel.status == "active", Channel.digest == frequency, Channel.id.not_in(done))
    ))  # fmt: skip
    if not channels:
        return []
    days = 7 if frequency == "weekly" else 1
    window = Window.between(today - dt.timedelta(days=days), today)
    trending = list_feed(session, window, sort="trending", limit=settings.digest_trending_papers)
    by_user = follows(session, sorted({c.user_id for c in channels}))
    index = PaperIndex(list_feed(session, window, limit=WINDOW_PAPERS)) if by_user else None
    title = f"{settings.site_name} {frequency} digest, {key.rsplit(':', 1)[1]}"
    plans = []
    for ch in channels:
        sections = _digest_sections(settings, session, ch.user_id, window, trending, index,
                                    by_user.get(ch.user_id, []))  # fmt: skip
        plans.append(Plan(ch.id, [Step(Message("digest", key, title, sections))]))
    return plans


def _digest_sections(settings: Settings, session: Session, user_id: int, window: Window,
                     trending: list[FeedItem], index: PaperIndex | None,
                     follows: list[Follow]) -> list[Section]:  # fmt: skip
    limit = settings.digest_papers_per_topic
    mine = _for_you(settings, session, user_id, window, limit)
    shown = {e.item.paper.id for e in mine}
    top = [Entry(i, f"{i.paper.upvotes} upvotes") for i in trending if i.paper.id not in shown]
    shown |= {e.item.paper.id for e in top}
    followed = [Entry(i, n) for i, n in (matched(index, follows, limit) if index else [])
                if i.paper.id not in shown]  # fmt: skip
    return [Section("For you", mine), Section("Trending", top),
            Section("From what you follow", followed)]  # fmt: skip


def test_message(session: Session, settings: Settings) -> Message:
    """A message for the "send a test" button: the current top trending paper, if any."""
    items = list_feed(session, None, sort="trending", limit=1)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S.%f")
    section = Section("Trending now", [Entry(i, f"{i.paper.upvotes} upvotes") for i in items])
    return Message("test", f"test:{stamp}", f"Test message from {settings.site_name}", [section])
