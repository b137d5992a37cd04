"""The library API: ``/api/me/library`` (saves, imports, exports), ``/api/me/collections`` and
``/api/me/read``. Follows are in ``follows.py``, the user's own data in ``account.py``, public
citation exports in ``citations.py``.

Scripts send ``Authorization: Bearer TOKEN``; the site's own scripts use the session cookie and
the ``X-CSRF-Token`` header. Errors are ``{"error": "..."}`` with the status of the domain error.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.library import collections, exports, importer, reads, saves
from dailypapers.library.notes import render_note
from dailypapers.library.search import build_filter
from dailypapers.library.tasks import queue_fetch
from dailypapers.search import get_index
from dailypapers.store.db import writing
from dailypapers.store.models_library import Collection
from dailypapers.store.queries import library as queries
from dailypapers.store.queries.papers import require_paper_id
from dailypapers.web.api.citations import download, file_responses
from dailypapers.web.deps import get_db, get_settings_dep, require_user, require_writer
from dailypapers.web.ratelimit import rate_limit

router = APIRouter(tags=["library"])
_SETTINGS = Depends(get_settings_dep)
_DB = Depends(get_db)
WRITES = [Depends(rate_limit("library", per_minute=120))]  # every library write, follows too
Format = Literal["bibtex", "ris", "csl-json"]


class SaveIn(BaseModel):
    paper_id: str = Field(..., description="arXiv id, arXiv URL or t- id", examples=["2503.01234"])
    collection: str | None = Field(None, description="Name of a collection (created if missing)")
    tags: list[str] | None = None
    note: str | None = Field(None, description="Plain text or Markdown")
    note_format: Literal["markdown", "plain"] = "markdown"


class SavedPatch(BaseModel):
    tags: list[str] | None = Field(None, description="Replaces the paper's tags")
    note: str | None = None
    note_format: Literal["markdown", "plain"] | None = None
    add_to: list[str] = Field(default_factory=list, description="Collections to add it to")
    remove_from: list[str] = Field(default_factory=list, description="Collections to leave")


class CollectionIn(BaseModel):
    name: str
    description: str = ""
    public: bool = False


class CollectionPatch(BaseModel):
    name: str | None = None
    description: str | None = None
    public: bool | None = None


# --- serialisers ---------------------------------------------------------------------------------
def item_json(it: queries.LibraryItem) -> dict[str, Any]:
    p = it.paper
    return {
        "paperId": p.id,
        "title": p.title,
        "authors": p.authors,
        "publishedAt": p.published_on.isoformat() if p.published_on else None,
        "upvotes": p.upvotes,
        "savedAt": it.saved_at.isoformat() + "Z",
        "tags": it.tags,
        "note": it.note,
        "noteFormat": it.note_format,
        "noteHtml": render_note(it.note, it.note_format),
        "collections": [slug for slug, _ in it.collections],
        "read": it.read,
    }


def collection_json(c: Collection, settings: Settings, count: int = 0) -> dict[str, Any]:
    base = settings.base_url.rstrip("/")
    return {
        "name": c.name,
        "slug": c.slug,
        "default": c.is_default,
        "public": c.is_public,
        "description": c.description,
        "papers": count,
        "url": f"{base}/collections/{c.share_slug}" if c.is_public else None,
        "feed": f"{base}/collections/{c.share_slug}.xml" if c.is_public else None,
    }


def _saved_json(session: Session, user_id: int, paper_id: str) -> dict[str, Any]:
    return item_json(queries.library_items(session, user_id, [paper_id])[0])


# --- library -------------------------------------------------------------------------------------
@router.get("/api/me/library", summary="Your saved papers")
def list_library(
    collection: str | None = None,
    tag: str | None = None,
    read: Literal["read", "unread"] | None = None,
    sort: Literal["saved", "published", "upvotes"] = "saved",
    q: str = Query("", max_length=500, description="The query language of /search"),
    page: int = Query(1, ge=1, le=10_000),
    limit: int = Query(50, ge=1, le=200),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    if q.strip():  # load the index before the first query (one connection per request)
        get_index(settings)
    f = build_filter(
        session,
        settings,
        user.id,
        collection=collection,
        tag=tag,
        read=read,
        sort=sort,
        q=q,
        page=page,
        limit=limit,
    )
    items, total = queries.library_page(session, user.id, f)
    return {"total": total, "page": page, "items": [item_json(i) for i in items]}


@router.post("/api/me/library", status_code=201, summary="Save a paper", dependencies=WRITES)
def save(
    body: SaveIn,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        result = saves.save_paper(
            session,
            user.id,
            body.paper_id,
            collection=body.collection,
            tags=body.tags,
            note=body.note,
            note_format=body.note_format,
            source="api",
        )
    return _saved_json(session, user.id, result.paper_id) | {"created": result.created}


@router.patch(
    "/api/me/library/{paper_id:paper_id}",
    summary="Change tags, note, collections",
    dependencies=WRITES,
)
def patch_saved(
    paper_id: str,
    body: SavedPatch,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        row = saves.update_saved(
            session,
            user.id,
            paper_id,
            tags=body.tags,
            note=body.note,
            note_format=body.note_format,
            add_to=body.add_to,
            remove_from=body.remove_from,
        )
        pid = row.paper_id
    return _saved_json(session, user.id, pid)


@router.delete("/api/me/library/{paper_id:paper_id}", summary="Unsave a paper", dependencies=WRITES)
def unsave(
    paper_id: str,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        result = saves.unsave_paper(session, user.id, paper_id)
    return {"paperId": result.paper_id, "saved": False, "removed": result.created}


@router.post(
    "/api/me/library/import",
    summary="Import a BibTeX, RIS, CSL JSON or id-list file",
    dependencies=[Depends(rate_limit("library-import", per_hour=30))],
)
async def import_library(
    file: UploadFile = File(..., description=".bib, .ris, .json (CSL JSON) or .txt"),
    collection: str | None = Form(None),
    dry_run: bool = Form(False),
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    """``dry_run=true`` previews (matched, pending, unmatched) without saving anything."""
    data = await file.read(settings.library_import_max_bytes + 1)
    report = await run_in_threadpool(
        _import, session, settings, user.id, data, file.filename, collection, not dry_run
    )
    return report.as_json()


def _import(
    session: Session,
    settings: Settings,
    user_id: int,
    data: bytes,
    name: str | None,
    collection: str | None,
    apply: bool,
) -> importer.ImportReport:
    """Import (or preview) in one transaction, then queue the arXiv fetch of pending ids."""
    with writing(session, settings):
        report = importer.import_references(
            session, settings, user_id, data, name, collection=collection, apply=apply
        )
    if apply and report.of("pending"):
        queue_fetch(user_id)
    return report


@router.get(
    "/api/me/library/export",
    summary="Download your library (or one collection)",
    response_class=Response,
    responses=file_responses("bibtex", "ris", "csl-json"),
)
def export_library(
    format: Format = "bibtex",
    collection: str | None = None,
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
) -> Response:
    text = exports.export_library(session, user.id, format, collection=collection)
    return download(text, format, collection or "library")


# --- collections ---------------------------------------------------------------------------------
@router.get("/api/me/collections", summary="Your collections")
def list_collections(
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> list[dict[str, Any]]:
    with writing(session, settings):  # the Reading list is created on first use
        rows = collections.list_collections(session, user.id)
    counts = queries.collection_counts(session, user.id)
    return [collection_json(c, settings, counts.get(c.id, 0)) for c in rows]


@router.post(
    "/api/me/collections", status_code=201, summary="Create a collection", dependencies=WRITES
)
def create_collection(
    body: CollectionIn,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        row = collections.create_collection(
            session, user.id, body.name, description=body.description, public=body.public
        )
    return collection_json(row, settings)


@router.patch(
    "/api/me/collections/{slug}", summary="Rename, describe, share or unshare", dependencies=WRITES
)
def patch_collection(
    slug: str,
    body: CollectionPatch,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        row = collections.get_collection(session, user.id, slug)
        if body.name is not None:
            collections.rename_collection(session, row, body.name)
        if body.description is not None:
            row.description = body.description[:2000]
        if body.public is not None:
            collections.set_public(row, body.public)
    return collection_json(
        row, settings, queries.collection_counts(session, user.id).get(row.id, 0)
    )


@router.delete(
    "/api/me/collections/{slug}",
    summary="Delete a collection (papers stay saved)",
    dependencies=WRITES,
)
def delete_collection(
    slug: str,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        collections.delete_collection(session, collections.get_collection(session, user.id, slug))
    return {"deleted": slug}


# --- read state ----------------------------------------------------------------------------------
@router.post("/api/me/read/{paper_id:paper_id}", summary="Mark a paper read", dependencies=WRITES)
def mark_read(
    paper_id: str,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        reads.mark_read(session, user.id, paper_id)
    return {"paperId": require_paper_id(paper_id), "read": True}


@router.delete(
    "/api/me/read/{paper_id:paper_id}", summary="Mark a paper unread", dependencies=WRITES
)
def mark_unread(
    paper_id: str,
    user: CurrentUser = Depends(require_writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        reads.mark_unread(session, user.id, paper_id)
    return {"paperId": require_paper_id(paper_id), "read": False}
