"""Saving papers: save / unsave, tags, notes and collection membership.

A save is one ``saved_papers`` row per (user, paper); its tags and collection memberships
reference it, so unsaving removes them in the same statement (foreign-key cascade). Saving is
idempotent: saving a saved paper again only adds what the call brings (a collection, tags, a
note), which is what makes re-importing a file add nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dailypapers.errors import Invalid, NotFound
from dailypapers.foryou.memo import forget as forget_for_you
from dailypapers.library import collections
from dailypapers.library.common import existing_paper_id, insert_ignore, rowcount
from dailypapers.library.notes import clean_note
from dailypapers.store.models import utcnow
from dailypapers.store.models_library import CollectionPaper, PaperTag, SavedPaper

MAX_TAGS = 30
MAX_TAG = 64
SOURCES = ("web", "api", "import")
_BAD_TAG = re.compile(r"[\x00-\x1f\x7f,]")


@dataclass(frozen=True, slots=True)
class SaveResult:
    paper_id: str
    saved: bool  # the paper is in the library after the call
    created: bool  # this call added it


def clean_tags(tags: object) -> list[str]:
    """Tags from a list or a comma-separated string: trimmed, de-duplicated ignoring case."""
    if tags is None:
        return []
    items = tags.split(",") if isinstance(tags, str) else tags
    if not isinstance(items, list | tuple):
        raise Invalid("Tags are a list of words, or words separated by commas.")
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str):
            raise Invalid("Each tag is a piece of text.")
        tag = " ".join(item.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG or _BAD_TAG.search(tag):
            raise Invalid(f"Tags have at most {MAX_TAG} characters and no commas: {tag[:80]!r}.")
        out.setdefault(tag.lower(), tag)
    if len(out) > MAX_TAGS:
        raise Invalid(f"At most {MAX_TAGS} tags per paper.")
    return list(out.values())


def save_paper(
    session: Session,
    user_id: int,
    raw_id: str,
    *,
    collection: str | None = None,
    tags: object = None,
    note: object = None,
    note_format: object = "markdown",
    source: str = "web",
) -> SaveResult:
    """Save a paper (idempotent) into ``collection`` (created if missing) or the Reading list.

    ``tags`` are added to the paper's tags; ``note`` replaces the note when given.
    """
    paper_id = existing_paper_id(session, raw_id)
    tag_list = clean_tags(tags)
    note_values = clean_note(note, note_format) if note is not None else None
    now = utcnow()
    created = insert_ignore(
        session,
        SavedPaper.__table__,
        {
            "user_id": user_id,
            "paper_id": paper_id,
            "note": note_values[0] if note_values else "",
            "note_format": note_values[1] if note_values else "markdown",
            "source": source if source in SOURCES else "web",
            "saved_at": now,
            "updated_at": now,
        },
    )
    target = (
        collections.ensure_collection(session, user_id, collection)
        if collection
        else collections.default_collection(session, user_id)
    )
    if created or collection:
        add_to_collection(session, user_id, paper_id, target.id)
    if tag_list:
        _add_tags(session, user_id, paper_id, tag_list)
    if note_values is not None and not created:
        _set_note(session, user_id, paper_id, *note_values)
    return SaveResult(paper_id, True, created)


def unsave_paper(session: Session, user_id: int, raw_id: str) -> SaveResult:
    """Remove a paper from the library, with its tags, note and collection memberships."""
    paper_id = existing_paper_id(session, raw_id)
    # Children first: SQLite without the foreign-key pragma would leave them behind.
    _forget_children(session, user_id, [paper_id])
    gone = rowcount(
        session,
        delete(SavedPaper).where(SavedPaper.user_id == user_id, SavedPaper.paper_id == paper_id),
    )
    if gone:
        forget_for_you(user_id)  # a removed signal: drop the user's memoised "For you" model
    return SaveResult(paper_id, False, bool(gone))


def _forget_children(session: Session, user_id: int, paper_ids: list[str]) -> None:
    session.execute(
        delete(PaperTag).where(PaperTag.user_id == user_id, PaperTag.paper_id.in_(paper_ids))
    )
    session.execute(
        delete(CollectionPaper).where(
            CollectionPaper.user_id == user_id, CollectionPaper.paper_id.in_(paper_ids)
        )
    )


def get_saved(session: Session, user_id: int, paper_id: str) -> SavedPaper:
    """The user's save of ``paper_id`` or ``NotFound``."""
    row = session.get(SavedPaper, (user_id, paper_id))
    if row is None:
        raise NotFound(f"Paper {paper_id} is not in your library.")
    return row


def update_saved(
    session: Session,
    user_id: int,
    raw_id: str,
    *,
    tags: object = None,
    note: object = None,
    note_format: object = None,
    add_to: Iterable[str] = (),
    remove_from: Iterable[str] = (),
) -> SavedPaper:
    """Change a saved paper: replace its tags or note, add it to / remove it from collections."""
    paper_id = existing_paper_id(session, raw_id)
    row = get_saved(session, user_id, paper_id)
    if tags is not None:
        set_tags(session, user_id, paper_id, clean_tags(tags))
    if note is not None or note_format is not None:
        text, fmt = clean_note(row.note if note is None else note, note_format or row.note_format)
        _set_note(session, user_id, paper_id, text, fmt)
    for name in add_to:
        add_to_collection(
            session, user_id, paper_id, collections.ensure_collection(session, user_id, name).id
        )
    for name in remove_from:
        target = collections.get_collection(session, user_id, name)
        session.execute(
            delete(CollectionPaper).where(
                CollectionPaper.collection_id == target.id, CollectionPaper.paper_id == paper_id
            )
        )
    row.updated_at = utcnow()
    return row


def add_to_collection(session: Session, user_id: int, paper_id: str, collection_id: int) -> bool:
    """Put a saved paper into a collection of the same user (idempotent)."""
    return insert_ignore(
        session,
        CollectionPaper.__table__,
        {
            "collection_id": collection_id,
            "paper_id": paper_id,
            "user_id": user_id,
            "added_at": utcnow(),
        },
    )


def _add_tags(session: Session, user_id: int, paper_id: str, tags: list[str]) -> None:
    have = {
        t.lower()
        for t in session.scalars(
            select(PaperTag.tag).where(PaperTag.user_id == user_id, PaperTag.paper_id == paper_id)
        )
    }
    for tag in tags:
        if tag.lower() not in have:
            insert_ignore(
                session, PaperTag.__table__, {"user_id": user_id, "paper_id": paper_id, "tag": tag}
            )
    if len(have | {t.lower() for t in tags}) > MAX_TAGS:
        raise Invalid(f"At most {MAX_TAGS} tags per paper.")


def set_tags(session: Session, user_id: int, paper_id: str, tags: list[str]) -> None:
    """Replace the paper's tags."""
    session.execute(
        delete(PaperTag).where(PaperTag.user_id == user_id, PaperTag.paper_id == paper_id)
    )
    _add_tags(session, user_id, paper_id, tags)


def _set_note(session: Session, user_id: int, paper_id: str, text: str, fmt: str) -> None:
    row = get_saved(session, user_id, paper_id)
    row.note, row.note_format, row.updated_at = text, fmt, utcnow()
