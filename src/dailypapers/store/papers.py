"""Paper writes: idempotent batch upserts of ``PaperRecord`` into papers, authors and the feed.

A batch is one transaction: a record is either fully written (paper, authors, feed entry) or
not at all. Importing the same input twice changes nothing; a record only overwrites a stored
field when it knows a value for it, and an older arXiv version never replaces a newer one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import JSON, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dailypapers.store.links import code_links
from dailypapers.store.models import FeedEntry, Paper, PaperAuthor, table_of, utcnow
from dailypapers.store.records import PaperRecord, fold_spaces, normalise_name, normalise_title
from dailypapers.store.urls import clean_url

# Fields a record may set; ``None`` in a record leaves the stored value alone.
_MERGED = (
    "arxiv_id", "title", "abstract", "authors", "author_count", "categories", "published_on",
    "updated_on", "version", "organization", "upvotes_external", "num_comments", "github_repo",
    "github_stars", "project_page", "pdf_url", "comment",
)  # fmt: skip


@dataclass
class UpsertStats:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    changed_ids: list[str] = field(default_factory=list)  # added or updated, for indexing
    ids: list[str] = field(default_factory=list)  # every paper the records resolved to

    def __iadd__(self, other: UpsertStats) -> UpsertStats:
        self.added += other.added
        self.updated += other.updated
        self.skipped += other.skipped
        self.changed_ids.extend(other.changed_ids)
        self.ids.extend(other.ids)
        return self


def _record_fields(rec: PaperRecord) -> dict:
    authors = [fold_spaces(a) for a in rec.authors if a and a.strip()]
    repo, project = code_links(rec.abstract, rec.comment)  # links written in arXiv text
    values = {
        "arxiv_id": rec.arxiv_id,
        "title": fold_spaces(rec.title),
        "abstract": rec.abstract.strip() if rec.abstract else None,
        "authors": authors or None,
        "author_count": rec.author_count
        if rec.author_count is not None
        else (len(authors) or None),
        "categories": list(rec.categories) or None,
        "published_on": rec.published_on,
        "updated_on": rec.updated_on,
        "version": rec.version,
        "organization": rec.organization,
        "upvotes_external": rec.upvotes,
        "num_comments": rec.num_comments,
        "github_repo": clean_url(rec.github_repo or repo),  # the URL policy: http(s) only
        "github_stars": rec.github_stars,
        "project_page": clean_url(rec.project_page or project),
        "pdf_url": clean_url(rec.pdf_url),
        "comment": rec.comment,
    }
    return {k: v for k, v in values.items() if v is not None and v != ""}


def _content_hash(row: dict) -> str:
    payload = {k: row.get(k) for k in _MERGED}
    return hashlib.sha1(
        orjson.dumps(payload, default=str, option=orjson.OPT_SORT_KEYS), usedforsecurity=False
    ).hexdigest()


def _is_older(incoming: dict, stored: dict) -> bool:
    """An arXiv record of an older version than the stored one must not overwrite it."""
    new_v, old_v = incoming.get("version"), stored.get("version")
    return new_v is not None and old_v is not None and new_v < old_v


def _new_row(rec: PaperRecord, fields: dict, now: dt.datetime) -> dict:
    row: dict[str, Any] = dict.fromkeys(_MERGED)
    row.update(
        authors=[], author_count=0, categories=[], version=1, upvotes_external=0,
        num_comments=0, abstract="",
    )  # fmt: skip
    row.update(fields)
    row.update(
        id=rec.id, title_norm=normalise_title(row["title"]), source=rec.source,
        primary_category=(row["categories"] or [None])[0], upvotes=row["upvotes_external"],
        trending_score=0.0, created_at=now, updated_at=now,
    )  # fmt: skip
    row["content_hash"] = _content_hash(row)
    return row


def _resolve_ids(session: Session, records: list[PaperRecord]) -> dict[int, str]:
    """Map each record to the stored paper it describes: by id, else (no arXiv id) by title."""
    ids = {i: rec.id for i, rec in enumerate(records)}
    untitled = {normalise_title(r.title): i for i, r in enumerate(records) if not r.arxiv_id}
    if untitled:
        rows = session.execute(
            select(Paper.id, Paper.title_norm).where(Paper.title_norm.in_(list(untitled)))
        )
        for pid, norm in rows:
            ids[untitled[norm]] = pid
    return ids


def upsert_records(session: Session, records: Iterable[PaperRecord]) -> UpsertStats:
    """Write a batch of records (call inside one transaction); returns added/updated/skipped."""
    records = list(records)
    stats = UpsertStats()
    if not records:
        return stats
    now = utcnow()
    ids = _resolve_ids(session, records)
    stored = {
        row["id"]: dict(row)
        for row in session.execute(
            select(table_of(Paper)).where(Paper.id.in_(set(ids.values())))
        ).mappings()
    }
    inserts: dict[str, dict] = {}
    updates: dict[str, dict] = {}
    for i, rec in enumerate(records):
        pid, fields = ids[i], _record_fields(rec)
        if pid in inserts:  # the same paper twice in one batch: merge into the pending insert
            inserts[pid].update(fields)
            inserts[pid]["content_hash"] = _content_hash(inserts[pid])
            continue
        base = updates.get(pid) or stored.get(pid)
        if base is None:
            inserts[pid] = _new_row(rec, fields, now)
            continue
        if _is_older(fields, base):
            stats.skipped += 1
            continue
        merged = {**base, **fields}
        merged["content_hash"] = _content_hash(merged)
        if merged["content_hash"] == base["content_hash"]:
            stats.skipped += 1
            continue
        merged.update(
            title_norm=normalise_title(merged["title"]),
            primary_category=(merged["categories"] or [None])[0],
            upvotes=merged["upvotes"] + merged["upvotes_external"] - base["upvotes_external"],
            updated_at=now,
        )
        updates[pid] = merged
    _write_papers(session, inserts, updates)
    _write_feed(session, records, ids, now)
    stats.added += len(inserts)
    stats.updated += len([p for p in updates if p not in inserts])
    stats.changed_ids.extend({**updates, **inserts})
    stats.ids.extend(dict.fromkeys(ids.values()))
    return stats


def _bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert rows that share their keys. psycopg runs an executemany as one statement per
    row, so on PostgreSQL the rows are sent with COPY instead (several times faster)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    from psycopg import IntegrityError as DriverIntegrityError
    from psycopg.types.json import Json

    columns = list(rows[0])
    pairs = [(name, isinstance(table.c[name].type, JSON)) for name in columns]
    names = ", ".join(f'"{name}"' for name in columns)
    raw = connection.connection.driver_connection
    assert raw is not None  # a live connection of the psycopg driver
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([Json(row[name]) if json else row[name] for name, json in pairs])
    except DriverIntegrityError as exc:  # the error SQLAlchemy raises for its own inserts
        raise IntegrityError(statement, None, exc) from exc


def _write_papers(session: Session, inserts: dict[str, dict], updates: dict[str, dict]) -> None:
    table = table_of(Paper)
    if inserts:
        _bulk_insert(session, table, list(inserts.values()))
    if updates:
        cols = [*_MERGED, "title_norm", "primary_category", "upvotes", "updated_at", "content_hash"]
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in cols})
        )
        params = [{"_id": pid, **{c: row[c] for c in cols}} for pid, row in updates.items()]
        session.connection().execute(stmt, params)
    _write_authors(session, {**updates, **inserts}, fresh=set(inserts))


def _write_authors(session: Session, rows: dict[str, dict], fresh: set[str]) -> None:
    stale = [pid for pid in rows if pid not in fresh]
    if stale:
        session.execute(delete(PaperAuthor).where(PaperAuthor.paper_id.in_(stale)))
    author_rows = [
        {
            "paper_id": pid,
            "position": pos,
            "name": name[:300],
            "name_norm": normalise_name(name)[:300],
        }
        for pid, row in rows.items()
        for pos, name in enumerate(row["authors"] or [])
    ]
    if author_rows:
        _bulk_insert(session, table_of(PaperAuthor), author_rows)


def _write_feed(
    session: Session, records: list[PaperRecord], ids: dict[int, str], now: dt.datetime
) -> None:
    """A paper enters the feed once, on the first date a source gives; submitters fill gaps."""
    wanted: dict[str, dict] = {}
    for i, rec in enumerate(records):
        date = rec.feed_date
        if date is None:
            continue
        entry = wanted.setdefault(ids[i], {"feed_date": date, "submitter_name": None})
        entry["feed_date"] = min(entry["feed_date"], date)
        entry["submitter_name"] = entry["submitter_name"] or rec.submitter_name
    if not wanted:
        return
    existing = {
        pid: name
        for pid, name in session.execute(
            select(FeedEntry.paper_id, FeedEntry.submitter_name).where(
                FeedEntry.paper_id.in_(list(wanted))
            )
        )
    }
    new = [
        {"paper_id": pid, "created_at": now, "submitted_by_id": None, **entry}
        for pid, entry in wanted.items()
        if pid not in existing
    ]
    if new:
        _bulk_insert(session, table_of(FeedEntry), new)
    fills = [
        {"_pid": pid, "submitter_name": wanted[pid]["submitter_name"]}
        for pid, name in existing.items()
        if not name and wanted[pid]["submitter_name"]
    ]
    if fills:
        table = table_of(FeedEntry)
        stmt = (
            update(table)
            .where(table.c.paper_id == bindparam("_pid"))
            .values(submitter_name=bindparam("submitter_name"))
        )
        session.connection().execute(stmt, fills)
