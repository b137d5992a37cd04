"""Collections: the default "Reading list" and named collections, private unless shared.

A collection's ``slug`` (from its name, unique per user) is its address in the owner's library
(``/library/{slug}``); a public collection also gets a random ``share_slug`` for its shareable
URL (``/collections/{share_slug}`` and its Atom feed), which stays the same across renames.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dailypapers.errors import Conflict, Forbidden, Invalid, NotFound
from dailypapers.library.common import slugify
from dailypapers.store.models import utcnow
from dailypapers.store.models_library import Collection

DEFAULT_NAME = "Reading list"
DEFAULT_SLUG = "reading-list"
MAX_COLLECTIONS = 200
MAX_NAME = 100
# Library sub-pages whose URL a collection slug must not take.
RESERVED_SLUGS = frozenset({"import", "export", "tags", "settings", "all", "new"})


def clean_name(name: object) -> str:
    """A collection name with surrounding and repeated spaces removed, or ``Invalid``."""
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text:
        raise Invalid("Give the collection a name.")
    if len(text) > MAX_NAME:
        raise Invalid(f"Collection names have at most {MAX_NAME} characters.")
    if not slugify(text):
        raise Invalid("A collection name needs at least one letter or digit.")
    return text


def default_collection(session: Session, user_id: int) -> Collection:
    """The user's "Reading list", created on first use."""
    found = session.scalar(
        select(Collection).where(Collection.user_id == user_id, Collection.is_default.is_(True))
    )
    if found is not None:
        return found
    row = Collection(
        user_id=user_id,
        name=DEFAULT_NAME,
        slug=_free_slug(session, user_id, DEFAULT_SLUG),
        is_default=True,
    )
    session.add(row)
    session.flush()
    return row


def list_collections(session: Session, user_id: int) -> list[Collection]:
    """The user's collections: the Reading list first, then by name."""
    default_collection(session, user_id)
    return list(
        session.scalars(
            select(Collection)
            .where(Collection.user_id == user_id)
            .order_by(Collection.is_default.desc(), func.lower(Collection.name))
        )
    )


def find_collection(session: Session, user_id: int, name_or_slug: str) -> Collection | None:
    """The user's collection with this slug, or this name (any case)."""
    slug = slugify(name_or_slug) if name_or_slug else ""
    if not slug:
        return None
    if slug == DEFAULT_SLUG:
        return default_collection(session, user_id)
    return session.scalar(
        select(Collection).where(Collection.user_id == user_id, Collection.slug == slug)
    )


def get_collection(session: Session, user_id: int, name_or_slug: str) -> Collection:
    """Like :func:`find_collection`, but ``NotFound`` when there is none."""
    found = find_collection(session, user_id, name_or_slug)
    if found is None:
        raise NotFound(f"You have no collection called {name_or_slug!r}.")
    return found


def _free_slug(session: Session, user_id: int, base: str) -> str:
    base = base if base not in RESERVED_SLUGS else f"{base}-list"
    taken = set(
        session.scalars(
            select(Collection.slug).where(
                Collection.user_id == user_id, Collection.slug.like(f"{base}%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_collection(
    session: Session, user_id: int, name: object, *, description: str = "", public: bool = False
) -> Collection:
    """A new collection; ``Conflict`` when the user already has one of that name."""
    text = clean_name(name)
    if find_collection(session, user_id, text) is not None:
        raise Conflict(f"You already have a collection called {text!r}.")
    count = session.scalar(select(func.count()).where(Collection.user_id == user_id)) or 0
    if count >= MAX_COLLECTIONS:
        raise Invalid(f"At most {MAX_COLLECTIONS} collections; delete one first.")
    row = Collection(
        user_id=user_id,
        name=text,
        slug=_free_slug(session, user_id, slugify(text)),
        description=description[:2000],
    )
    session.add(row)
    session.flush()
    set_public(row, public)
    return row


def ensure_collection(session: Session, user_id: int, name: str) -> Collection:
    """The collection called ``name``, created when missing (imports and the API use it)."""
    return find_collection(session, user_id, name) or create_collection(session, user_id, name)


def rename_collection(session: Session, row: Collection, name: object) -> Collection:
    """Rename (the slug follows the name; the share link does not change)."""
    text = clean_name(name)
    other = find_collection(session, row.user_id, text)
    if other is not None and other.id != row.id:
        raise Conflict(f"You already have a collection called {text!r}.")
    if slugify(text) != slugify(row.name):
        row.slug = _free_slug(session, row.user_id, slugify(text))
    row.name, row.updated_at = text, utcnow()
    return row


def set_public(row: Collection, public: bool) -> Collection:
    """Share the collection at a stable random URL, or make it private again."""
    row.is_public = bool(public)
    if public and not row.share_slug:
        row.share_slug = secrets.token_urlsafe(9)
    row.updated_at = utcnow()
    return row


def delete_collection(session: Session, row: Collection) -> None:
    """Delete a collection (its papers stay saved); the Reading list cannot be deleted."""
    if row.is_default:
        raise Forbidden("The Reading list cannot be deleted (you may rename it).")
    session.execute(delete(Collection).where(Collection.id == row.id))


def public_collection(session: Session, share_slug: str) -> Collection:
    """A shared collection by its share slug, or ``NotFound`` (also when it is private)."""
    row = session.scalar(
        select(Collection).where(
            Collection.share_slug == share_slug[:32], Collection.is_public.is_(True)
        )
    )
    if row is None:
        raise NotFound("No public collection at this address.")
    return row
