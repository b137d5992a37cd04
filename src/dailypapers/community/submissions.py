"""Submitting a paper to the daily feed by arXiv id or URL.

The paper's metadata comes from the local database, else from the arXiv API
(``settings.arxiv_api_url``). The day of the submission (UTC) becomes its feed date. A paper
enters the feed once: the feed entry's primary key is the paper id, so of two concurrent
submissions exactly one wins and the other is told the paper is already there. Each user may
submit ``settings.submissions_per_day`` papers a day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.community.auth import CurrentUser
from dailypapers.community.errors import CommunityError
from dailypapers.config import Settings
from dailypapers.store.models import FeedEntry, Paper, utcnow
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord, parse_arxiv_id
from dailypapers.store.trending import refresh_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    paper_id: str
    title: str
    feed_date: dt.date
    fetched: bool  # metadata came from the arXiv API (the paper was new here)

    def as_json(self) -> dict:
        return {
            "id": self.paper_id, "title": self.title,
            "feedDate": self.feed_date.isoformat(), "fetched": self.fetched,
        }  # fmt: skip


def parse_submission(raw: object) -> str:
    """The bare arXiv id in ``raw`` (id, ``arXiv:`` id, abs/pdf/HF URL) or a 422."""
    parsed = parse_arxiv_id(raw) if isinstance(raw, str) and len(raw) < 500 else None
    if parsed is None:
        raise CommunityError(
            "Give an arXiv id such as 2511.01234 or a URL like https://arxiv.org/abs/2511.01234.",
            422,
        )
    return parsed[0]


def _check_quota(session: Session, settings: Settings, user: CurrentUser) -> None:
    midnight = dt.datetime.combine(utcnow().date(), dt.time())
    count = session.scalar(
        select(func.count())
        .select_from(FeedEntry)
        .where(FeedEntry.submitted_by_id == user.id, FeedEntry.created_at >= midnight)
    )
    if (count or 0) >= settings.submissions_per_day:
        raise CommunityError(
            f"You have reached today's limit of {settings.submissions_per_day} submissions; "
            "try again tomorrow (UTC).",
            429,
        )


def _already_in_feed(session: Session, paper_id: str) -> None:
    day = session.scalar(select(FeedEntry.feed_date).where(FeedEntry.paper_id == paper_id))
    if day is not None:
        raise CommunityError(f"This paper is already in the feed of {day.isoformat()}.", 409)


def _fetch(settings: Settings, arxiv_id: str) -> PaperRecord:
    from dailypapers.ingest.arxiv_api import fetch_by_ids
    from dailypapers.ingest.http import UpstreamError

    # A person is waiting: fail fast instead of the patient retries of background ingestion.
    quick = settings.model_copy(update={"http_max_retries": 1, "http_timeout_seconds": 15})
    try:
        records = fetch_by_ids(quick, [arxiv_id])
    except UpstreamError as exc:
        log.warning("arXiv lookup of %s failed: %s", arxiv_id, exc)
        raise CommunityError(
            "arXiv did not answer; please try again in a few minutes.", 502
        ) from None
    for record in records:
        if record.arxiv_id == arxiv_id:
            return record
    raise CommunityError(f"arXiv has no paper {arxiv_id}.", 404)


def _insert_entry(
    session: Session, settings: Settings, user: CurrentUser, paper_id: str, day: dt.date
) -> bool:
    dialect = sqlite if settings.is_sqlite else postgresql
    stmt = dialect.insert(FeedEntry.__table__).values(
        paper_id=paper_id, feed_date=day, submitted_by_id=user.id,
        submitter_name=user.username, created_at=utcnow(),
    )  # fmt: skip
    stmt = stmt.on_conflict_do_nothing().returning(FeedEntry.__table__.c.paper_id)
    return session.execute(stmt).first() is not None


@dataclass(frozen=True)
class Lookup:
    """A submission checked and, for a paper new here, its metadata fetched from arXiv."""

    arxiv_id: str
    record: PaperRecord | None  # None: the paper was already stored


def look_up(session: Session, settings: Settings, user: CurrentUser, raw: object) -> Lookup:
    """Step one of a submission, before any write: parse, check quota and feed, fetch from arXiv.

    It only reads, so the caller runs it outside its write transaction (a slow arXiv answer
    must not hold the SQLite write lock) and ends the read before ``submit_paper``.
    """
    arxiv_id = parse_submission(raw)
    _check_quota(session, settings, user)
    paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == arxiv_id))
    if paper_id is not None:
        _already_in_feed(session, paper_id)
        return Lookup(arxiv_id, None)
    record = _fetch(settings, arxiv_id)
    record.feed_date, record.submitter_name, record.source = None, None, "submission"
    return Lookup(arxiv_id, record)


def _store(session: Session, lookup: Lookup) -> tuple[Paper | None, bool]:
    """The stored paper, inserted from the fetched record when missing; (paper, added here).

    Concurrent submissions of one new paper all fetch it; the first insert wins and the
    others, finding the row taken, carry on with it (a savepoint keeps their transaction).
    """
    query = select(Paper).where(Paper.arxiv_id == lookup.arxiv_id)
    paper = session.scalar(query)
    if paper is not None or lookup.record is None:
        return paper, False
    try:
        with session.begin_nested():
            added = upsert_records(session, [lookup.record]).added > 0
    except IntegrityError:
        added = False
    return session.scalar(query), added


def submit_paper(
    session: Session, settings: Settings, user: CurrentUser, lookup: Lookup
) -> Submission:
    """Step two, in the caller's write transaction: put the paper into today's feed.

    Of concurrent submissions of one paper exactly one succeeds; the others get a 409.
    After committing, the caller queues a fetched paper for indexing (``queue_indexing``).
    """
    _check_quota(session, settings, user)
    paper, added = _store(session, lookup)
    if paper is None:
        raise CommunityError(f"arXiv did not return {lookup.arxiv_id}; try again later.", 502)
    day = utcnow().date()
    if not _insert_entry(session, settings, user, paper.id, day):
        _already_in_feed(session, paper.id)
        raise CommunityError("This paper was just submitted by someone else.", 409)
    refresh_scores(session, settings, [paper.id])
    return Submission(paper.id, paper.title, day, added)


def queue_indexing(settings: Settings, ids: list[str]) -> None:
    """Queue new papers for semantic search (the worker embeds them; a model load would make
    the person wait seconds here)."""
    if not settings.embed_on_import:
        return
    try:
        from dailypapers.community.tasks import index_submitted

        index_submitted(ids)
    except Exception:  # search is best effort here; `dailypapers index` catches up later
        log.warning("could not queue indexing of submitted papers %s", ids, exc_info=True)
