"""Read state and the library switches of a user (auto-mark read, hide read, public upvotes)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from dailypapers.errors import Invalid
from dailypapers.library.common import existing_paper_id, insert_ignore, rowcount
from dailypapers.store.models import utcnow
from dailypapers.store.models_library import LibraryPrefs, ReadMark

READ_SOURCES = ("explicit", "page", "pdf", "import")
PREF_NAMES = ("auto_read", "hide_read", "public_upvotes")


def mark_read(session: Session, user_id: int, raw_id: str, source: str = "explicit") -> bool:
    """Mark a paper read (idempotent); True when it was unread before."""
    if source not in READ_SOURCES:
        raise Invalid(f"source is one of {', '.join(READ_SOURCES)}")
    paper_id = existing_paper_id(session, raw_id)
    return insert_ignore(
        session,
        ReadMark.__table__,
        {
            "user_id": user_id,
            "paper_id": paper_id,
            "source": source,
            "read_at": utcnow(),
        },
    )


def mark_unread(session: Session, user_id: int, raw_id: str) -> bool:
    """Mark a paper unread; True when it was read before."""
    paper_id = existing_paper_id(session, raw_id)
    stmt = delete(ReadMark).where(ReadMark.user_id == user_id, ReadMark.paper_id == paper_id)
    return bool(rowcount(session, stmt))


def auto_mark_read(session: Session, user_id: int, paper_id: str, source: str) -> bool:
    """Mark read on opening the paper page or its PDF link, if the user has that switched on."""
    if not get_prefs(session, user_id).auto_read:
        return False
    return mark_read(session, user_id, paper_id, source)


def get_prefs(session: Session, user_id: int) -> LibraryPrefs:
    """The user's switches (defaults when never set; not stored until changed)."""
    row = session.get(LibraryPrefs, user_id)
    return row or LibraryPrefs(
        user_id=user_id, auto_read=True, hide_read=False, public_upvotes=False
    )


def set_prefs(session: Session, user_id: int, **values: bool) -> LibraryPrefs:
    """Change some switches: ``set_prefs(session, uid, hide_read=True)``."""
    unknown = set(values) - set(PREF_NAMES)
    if unknown:
        raise Invalid(f"unknown setting {sorted(unknown)[0]!r}; use {', '.join(PREF_NAMES)}")
    row = session.get(LibraryPrefs, user_id)
    if row is None:
        row = get_prefs(session, user_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, bool(value))
    session.flush()
    return row
