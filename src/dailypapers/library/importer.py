"""Importing a reference list into a library: match entries to papers, save them, queue the rest.

Matching, in order: the entry's arXiv id (from ``eprint``, ``url``, an arXiv DOI, ``journal`` or
``note``), then its DOI (``paper_dois``, learned from earlier imports), then its normalised
title. An arXiv id that is not in the database becomes a *pending* import: a queued job fetches
it through the arXiv API client and saves it (offline it stays pending, with the reason).
Entries with neither are *unmatched* and listed with their titles.

:func:`plan_import` only reads (the preview); :func:`apply_import` writes with a few bulk
statements (a 5,000-entry file is a handful of queries per 900 entries), idempotently: a
paper already in the library is counted as ``already`` and nothing is added twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.library import collections
from dailypapers.library.formats import Entry, ParsedFile, Problem, read_references
from dailypapers.library.saves import clean_tags
from dailypapers.store.models import Paper, utcnow
from dailypapers.store.models_library import (
    CollectionPaper,
    PaperDoi,
    PaperTag,
    PendingImport,
    SavedPaper,
)
from dailypapers.store.records import normalise_title

_CHUNK = 900
WAITING = "waiting for the background job that fetches it from arXiv"


@dataclass(slots=True)
class Outcome:
    """What became of one entry: ``matched``, ``already``, ``duplicate``, ``pending`` or
    ``unmatched``."""

    entry: Entry
    status: str
    paper_id: str | None = None
    how: str = ""  # arxiv|doi|title
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.entry.line,
            "key": self.entry.key,
            "title": self.entry.label,
            "status": self.status,
            "paperId": self.paper_id,
            "matchedBy": self.how or None,
            "arxivId": self.entry.arxiv_id,
            "doi": self.entry.doi,
            "reason": self.reason or None,
        }


@dataclass(slots=True)
class ImportReport:
    """The preview of an import, then (after :func:`apply_import`) its result."""

    format: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    collection: str | None = None

    def of(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def counts(self) -> dict[str, int]:
        names = ("matched", "already", "duplicate", "pending", "unmatched")
        return {name: len(self.of(name)) for name in names} | {"problems": len(self.problems)}

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "applied": self.applied,
            "collection": self.collection,
            "counts": self.counts,
            "entries": [o.as_json() for o in self.outcomes],
            "problems": [{"line": p.line, "message": p.message} for p in self.problems],
        }


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _lookup(session: Session, column: Any, key: Any, values: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(values))
    found: dict[str, str] = {}
    for chunk in _chunks(wanted):
        found.update(
            (str(k), str(v)) for k, v in session.execute(select(key, column).where(key.in_(chunk)))
        )
    return found


def plan_import(session: Session, user_id: int, parsed: ParsedFile) -> ImportReport:
    """Match every entry to a paper (reads only): the preview of an import."""
    entries = parsed.entries
    by_arxiv = _lookup(
        session, Paper.id, Paper.arxiv_id, (e.arxiv_id for e in entries if e.arxiv_id)
    )
    by_doi = _lookup(session, PaperDoi.paper_id, PaperDoi.doi, (e.doi for e in entries if e.doi))
    titles = {e.line: normalise_title(e.title) for e in entries if e.title}
    by_title = _lookup(
        session, Paper.id, Paper.title_norm, (t for t in titles.values() if len(t) >= 12)
    )
    saved = _saved(session, user_id, [*by_arxiv.values(), *by_doi.values(), *by_title.values()])
    report = ImportReport(parsed.format, problems=list(parsed.problems))
    seen: set[str] = set()
    for entry in entries:
        outcome = _match(entry, by_arxiv, by_doi, by_title.get(titles.get(entry.line, "")))
        if outcome.paper_id and outcome.paper_id in seen:
            outcome.status = "duplicate"
        elif outcome.paper_id in saved:
            outcome.status = "already"
        if outcome.paper_id:
            seen.add(outcome.paper_id)
        report.outcomes.append(outcome)
    return report


def _match(
    entry: Entry, by_arxiv: dict[str, str], by_doi: dict[str, str], title_hit: str | None
) -> Outcome:
    if entry.arxiv_id and entry.arxiv_id in by_arxiv:
        return Outcome(entry, "matched", by_arxiv[entry.arxiv_id], "arxiv")
    if entry.doi and entry.doi in by_doi:
        return Outcome(entry, "matched", by_doi[entry.doi], "doi")
    if title_hit:
        return Outcome(entry, "matched", title_hit, "title")
    if entry.arxiv_id:
        return Outcome(entry, "pending", reason=WAITING)
    what = "its DOI or title" if entry.doi else "its title" if entry.title else "it"
    return Outcome(entry, "unmatched", reason=f"no arXiv id, and no paper here matches {what}")


def _saved(session: Session, user_id: int, paper_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(paper_ids))
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(
            session.scalars(
                select(SavedPaper.paper_id).where(
                    SavedPaper.user_id == user_id, SavedPaper.paper_id.in_(chunk)
                )
            )
        )
    return found


def _insert_many(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing()
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])


def apply_import(
    session: Session, user_id: int, report: ImportReport, *, collection: str | None = None
) -> ImportReport:
    """Save the matched papers (with their tags and notes) and record the pending ids.

    Returns the report with ``applied`` set; the caller commits, then queues the fetch job
    when ``report.of("pending")`` is not empty.
    """
    target = (
        collections.ensure_collection(session, user_id, collection)
        if collection
        else collections.default_collection(session, user_id)
    )
    now = utcnow()
    fresh = report.of("matched")
    keep = fresh + report.of("already")
    _insert_many(
        session,
        SavedPaper.__table__,
        [
            {
                "user_id": user_id,
                "paper_id": o.paper_id,
                "note": _note(o.entry),
                "note_format": "markdown",
                "source": "import",
                "saved_at": now,
                "updated_at": now,
            }
            for o in fresh
        ],
    )
    _insert_many(
        session,
        CollectionPaper.__table__,
        [
            {
                "collection_id": target.id,
                "paper_id": o.paper_id,
                "user_id": user_id,
                "added_at": now,
            }
            for o in keep
            if collection or o.status == "matched"
        ],
    )
    _add_tags(session, user_id, keep + report.of("duplicate"))
    _fill_notes(session, user_id, report.of("already"))
    _learn_dois(session, keep)
    _record_pending(session, user_id, report.of("pending"), target.id)
    report.applied, report.collection = True, target.name
    return report


def _note(entry: Entry) -> str:
    return entry.note.strip()[:20_000]


def _add_tags(session: Session, user_id: int, outcomes: list[Outcome]) -> None:
    wanted: dict[tuple[str, str], str] = {}
    for o in outcomes:
        try:
            tags = clean_tags(o.entry.tags[:30])
        except Exception:  # an over-long tag of one entry must not sink the import
            tags = []
        for tag in tags:
            wanted.setdefault((str(o.paper_id), tag.lower()), tag)
    if not wanted:
        return
    have: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted({pid for pid, _ in wanted})):
        have.update(
            (p, t.lower())
            for p, t in session.execute(
                select(PaperTag.paper_id, PaperTag.tag).where(
                    PaperTag.user_id == user_id, PaperTag.paper_id.in_(chunk)
                )
            )
        )
    _insert_many(
        session,
        PaperTag.__table__,
        [
            {"user_id": user_id, "paper_id": pid, "tag": tag}
            for (pid, low), tag in wanted.items()
            if (pid, low) not in have
        ],
    )


def _fill_notes(session: Session, user_id: int, outcomes: list[Outcome]) -> None:
    """Give an already-saved paper the file's note when it has none yet (never overwrite)."""
    for o in outcomes:
        if _note(o.entry):
            session.execute(
                update(SavedPaper)
                .where(
                    SavedPaper.user_id == user_id,
                    SavedPaper.paper_id == o.paper_id,
                    SavedPaper.note == "",
                )
                .values(note=_note(o.entry))
            )


def _learn_dois(session: Session, outcomes: list[Outcome]) -> None:
    rows = [
        {"doi": o.entry.doi, "paper_id": o.paper_id}
        for o in outcomes
        if o.entry.doi and not o.entry.doi.startswith("10.48550/") and len(o.entry.doi) < 255
    ]
    _insert_many(session, PaperDoi.__table__, rows)


def _record_pending(
    session: Session, user_id: int, outcomes: list[Outcome], collection_id: int
) -> None:
    now = utcnow()
    _insert_many(
        session,
        PendingImport.__table__,
        [
            {
                "user_id": user_id,
                "arxiv_id": o.entry.arxiv_id,
                "collection_id": collection_id,
                "title": o.entry.title[:2000],
                "tags": o.entry.tags[:30],
                "note": _note(o.entry),
                "reason": WAITING,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for o in outcomes
        ],
    )


def import_references(
    session: Session,
    settings: Settings,
    user_id: int,
    data: bytes,
    filename: str | None = None,
    *,
    collection: str | None = None,
    apply: bool = True,
    fmt: str | None = None,
) -> ImportReport:
    """Read, match and (unless ``apply`` is False: a preview) save a reference file.

    The caller commits, then calls ``library.tasks.queue_fetch(user_id)`` when the report has
    pending entries.
    """
    parsed = read_references(
        data,
        filename,
        fmt=fmt,
        max_bytes=settings.library_import_max_bytes,
        max_entries=settings.library_import_max_entries,
    )
    report = plan_import(session, user_id, parsed)
    return apply_import(session, user_id, report, collection=collection) if apply else report
