"""A small library for the demo's first account, so that a fresh demo shows what the library
and "For you" do: saved papers on one subject, a collection, a note, papers marked read and
a few follows. Like the rest of the demo's activity it is chosen deterministically from the
sample (papers listed before the newest feed day whose title names the subject, by id), and
seeding twice does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dailypapers.library.follows import follow
from dailypapers.library.reads import mark_read
from dailypapers.library.saves import save_paper
from dailypapers.store.models import FeedEntry, Paper
from dailypapers.store.models_library import SavedPaper

SUBJECT = "diffusion"  # frequent in the sample: the saved papers are about it
SAVED = 12
COLLECTION = "Reading group"
IN_COLLECTION = 4
READ = 5
NOTE = (
    "[demo] For the reading group: how does its sampler compare with the other papers of "
    "this collection?\n\n- *read first*: the method section\n- *question*: how many steps?"
)
FOLLOWS = (("search", f"{SUBJECT} models"), ("category", "cs.CV"))


@dataclass(frozen=True, slots=True)
class DemoLibrary:
    saved: int
    follows: int


def _subject_papers(session: Session, limit: int) -> list[str]:
    """Papers listed before the newest feed day whose title names ``SUBJECT``, newest day
    first, then by id (so the newest day's papers are left for "For you" to rank)."""
    newest = session.scalar(select(func.max(FeedEntry.feed_date)))
    if newest is None:
        return []
    rows = session.execute(
        select(Paper.id)
        .join(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(FeedEntry.feed_date < newest, func.lower(Paper.title).contains(SUBJECT))
        .order_by(FeedEntry.feed_date.desc(), Paper.id)
        .limit(limit)
    ).all()
    return list(dict.fromkeys(pid for (pid,) in rows))


def seed_demo_library(session: Session, user_id: int) -> DemoLibrary:
    """Save, collect, annotate and mark read a few papers for ``user_id``, and follow a search
    and a category (nothing when the user has saved papers already)."""
    if session.scalar(select(SavedPaper.paper_id).where(SavedPaper.user_id == user_id)):
        return DemoLibrary(0, 0)
    papers = _subject_papers(session, SAVED)
    for rank, paper_id in enumerate(papers):
        save_paper(session, user_id, paper_id,
                   collection=COLLECTION if rank < IN_COLLECTION else None,
                   note=NOTE if rank == 0 else None)  # fmt: skip
        if rank >= len(papers) - READ:
            mark_read(session, user_id, paper_id)
    follows = sum(follow(session, user_id, kind, value)[1] for kind, value in FOLLOWS)
    return DemoLibrary(len(papers), follows)
