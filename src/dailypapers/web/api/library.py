"""The library API: ``/api/me/library``, ``/api/me/collections``, ``/api/me/read``,
``/api/me/follows``, imports and exports, the user's own data (``/api/me/export``, ``DELETE
/api/me``), and the public citation exports ``/papers/{id}.bib|.ris`` and ``/search.bib``.

Scripts send ``Authorization: Bearer TOKEN``; the site's own scripts use the session cookie and
the ``X-CSRF-Token`` header. Errors are ``{"error": "..."}`` with the status of the domain error.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import Invalid
from dailypapers.library import account, collections, exports, follows, importer, reads, saves
from dailypapers.library.common import existing_paper_id
from dailypapers.library.formats.export import EXPORT_FORMATS, EXTENSIONS, MEDIA_TYPES
from dailypapers.library.notes import render_note
from dailypapers.library.search import build_filter
from dailypapers.library.tasks import queue_fetch
from dailypapers.search import QueryError, SearchRequest, get_index, search
from dailypapers.store.db import writing
from dailypapers.store.models_library import Collection, Follow
from dailypapers.store.queries import library as queries
from dailypapers.store.queries.papers import require_paper_id
from dailypapers.web.deps import get_db, get_settings_dep, require_user
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf

router = APIRouter(tags=["library"])


def _file(*formats: str) -> dict[int | str, dict[str, Any]]:
    """The documented 200 answer of an export route: a text file in one of ``formats``."""
    content = {MEDIA_TYPES[f]: {"schema": {"type": "array" if f == "csl-json" else "string"}}
               for f in formats}  # fmt: skip
    return {200: {"description": "The file, as an attachment.", "content": content}}


_EXPORT_ME: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One JSON document.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        key: {"description": text}
                        for key, text in (
                            ("account", "name, email, dates and settings"),
                            ("library", "saved papers with tags, notes and read state"),
                            ("collections", "your collections"),
                            ("follows", "what you follow"),
                            ("votes", "papers you upvoted"),
                            ("comments", "your comments"),
                            ("submissions", "papers you submitted"),
                            ("subscriptions", "digest subscriptions"),
                            ("tokens", "names of your API tokens"),
                        )
                    },
                },
            }
        },
    }
}

_SETTINGS = Depends(get_settings_dep)
_DB = Depends(get_db)
_WRITES = [Depends(rate_limit("library", per_minute=120))]
Format = Literal["bibtex", "ris", "csl-json"]


async def writer(request: Request, user: CurrentUser = Depends(require_user)) -> CurrentUser:
    """The user of a write request: 401 without credentials first, then the CSRF check."""
    await require_csrf(request)
    return user


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


class FollowIn(BaseModel):
    kind: Literal["author", "org", "category", "search"]
    value: str = Field(..., examples=["Yann LeCun", "cs.LG", '"diffusion policy" has:code'])


class DeleteAccountIn(BaseModel):
    confirm: str = Field(..., description="Your user name, to confirm")


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


def follow_json(f: Follow, settings: Settings) -> dict[str, Any]:
    base = settings.base_url.rstrip("/")
    return {
        "id": f.id,
        "kind": f.kind,
        "value": f.value,
        "createdAt": f.created_at.isoformat() + "Z",
        "page": f"{base}/following/{f.id}",
        "topic": follows.topic_line(f.kind, f.value),
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


@router.post("/api/me/library", status_code=201, summary="Save a paper", dependencies=_WRITES)
def save(
    body: SaveIn,
    user: CurrentUser = Depends(writer),
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
    dependencies=_WRITES,
)
def patch_saved(
    paper_id: str,
    body: SavedPatch,
    user: CurrentUser = Depends(writer),
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


@router.delete(
    "/api/me/library/{paper_id:paper_id}", summary="Unsave a paper", dependencies=_WRITES
)
def unsave(
    paper_id: str,
    user: CurrentUser = Depends(writer),
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
    user: CurrentUser = Depends(writer),
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


def _download(text: str, fmt: str, stem: str) -> Response:
    return Response(
        text,
        media_type=MEDIA_TYPES[fmt] + "; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.{EXTENSIONS[fmt]}"'},
    )


@router.get(
    "/api/me/library/export",
    summary="Download your library (or one collection)",
    response_class=Response,
    responses=_file("bibtex", "ris", "csl-json"),
)
def export_library(
    format: Format = "bibtex",
    collection: str | None = None,
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
) -> Response:
    text = exports.export_library(session, user.id, format, collection=collection)
    return _download(text, format, collection or "library")


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
    "/api/me/collections", status_code=201, summary="Create a collection", dependencies=_WRITES
)
def create_collection(
    body: CollectionIn,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        row = collections.create_collection(
            session, user.id, body.name, description=body.description, public=body.public
        )
    return collection_json(row, settings)


@router.patch(
    "/api/me/collections/{slug}", summary="Rename, describe, share or unshare", dependencies=_WRITES
)
def patch_collection(
    slug: str,
    body: CollectionPatch,
    user: CurrentUser = Depends(writer),
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
    dependencies=_WRITES,
)
def delete_collection(
    slug: str,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        collections.delete_collection(session, collections.get_collection(session, user.id, slug))
    return {"deleted": slug}


# --- read state ----------------------------------------------------------------------------------
@router.post("/api/me/read/{paper_id:paper_id}", summary="Mark a paper read", dependencies=_WRITES)
def mark_read(
    paper_id: str,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        reads.mark_read(session, user.id, paper_id)
    return {"paperId": require_paper_id(paper_id), "read": True}


@router.delete(
    "/api/me/read/{paper_id:paper_id}", summary="Mark a paper unread", dependencies=_WRITES
)
def mark_unread(
    paper_id: str,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        reads.mark_unread(session, user.id, paper_id)
    return {"paperId": require_paper_id(paper_id), "read": False}


# --- follows -------------------------------------------------------------------------------------
@router.get("/api/me/follows", summary="What you follow")
def list_follows(
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> list[dict[str, Any]]:
    return [follow_json(f, settings) for f in follows.list_follows(session, user.id)]


@router.post(
    "/api/me/follows",
    status_code=201,
    summary="Follow an author, organization, category or search",
    dependencies=_WRITES,
)
def add_follow(
    body: FollowIn,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        row, created = follows.follow(session, user.id, body.kind, body.value)
    return follow_json(row, settings) | {"created": created}


@router.delete("/api/me/follows", summary="Unfollow (body: kind and value)", dependencies=_WRITES)
def remove_follow(
    body: FollowIn,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    with writing(session, settings):
        removed = follows.unfollow(session, user.id, body.kind, body.value)
    return {"kind": body.kind, "value": body.value, "removed": removed}


# --- your data -----------------------------------------------------------------------------------
@router.get(
    "/api/me/export",
    summary="Everything the service holds about you (one JSON file)",
    response_class=Response,
    responses=_EXPORT_ME,
)
def export_me(user: CurrentUser = Depends(require_user), session: Session = _DB) -> Response:
    data = account.export_personal_data(session, user.id)
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="{user.username}-dailypapers.json"',
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/api/me",
    summary="Delete your account and all its data",
    dependencies=[Depends(rate_limit("account-delete", per_hour=10))],
)
def delete_me(
    body: DeleteAccountIn,
    user: CurrentUser = Depends(writer),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> dict[str, Any]:
    """Send ``{"confirm": "<your user name>"}``. Votes and comments stop counting at once."""
    if body.confirm != user.username:
        raise Invalid("To delete your account, send your user name as confirm.")
    with writing(session, settings):
        counts = account.delete_account(session, settings, user.id)
    return {
        "deleted": user.username,
        "votesWithdrawn": counts.get("votes", 0),
        "commentsDeleted": counts.get("comments", 0),
    }


# --- public citation exports ---------------------------------------------------------------------
@router.get(
    "/papers/{paper_id:paper_id}.bib",
    summary="BibTeX of a paper",
    tags=["cite"],
    response_class=Response,
    responses=_file("bibtex"),
)
def paper_bib(paper_id: str, session: Session = _DB) -> Response:
    return _cite(session, paper_id, "bibtex")


@router.get(
    "/papers/{paper_id:paper_id}.ris",
    summary="RIS of a paper",
    tags=["cite"],
    response_class=Response,
    responses=_file("ris"),
)
def paper_ris(paper_id: str, session: Session = _DB) -> Response:
    return _cite(session, paper_id, "ris")


def _cite(session: Session, raw: str, fmt: str) -> Response:
    pid = existing_paper_id(session, raw)
    text = exports.export_papers(session, [pid], fmt)
    return Response(
        text,
        media_type=MEDIA_TYPES[fmt] + "; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def _search_export(
    session: Session, settings: Settings, q: str, sort: str, page: int, limit: int, fmt: str
) -> Response:
    try:
        result = search(settings, session, SearchRequest(q=q, sort=sort, page=page, limit=limit))
    except QueryError as exc:
        raise Invalid(str(exc)) from None
    text = exports.export_papers(session, [it.paper.id for it in result.items], fmt)
    return _download(text, fmt, "search")


_Q = Query(..., max_length=500, description="The query language of /search")


def _add_search_export(suffix: str, fmt: str, label: str) -> None:
    """Register ``GET /search.{suffix}``: one search result page as a ``label`` file."""

    def export(
        q: str = _Q,
        sort: str = "relevance",
        page: int = Query(1, ge=1, le=1000),
        limit: int = Query(25, ge=1, le=100),
        session: Session = _DB,
        settings: Settings = _SETTINGS,
    ) -> Response:
        return _search_export(session, settings, q, sort, page, limit, fmt)

    export.__name__ = f"search_{fmt.replace('-', '_')}"
    router.add_api_route(
        f"/search.{suffix}", export, methods=["GET"], summary=f"A search result page as {label}",
        tags=["cite"], response_class=Response, responses=_file(fmt),
    )  # fmt: skip


for _suffix, _fmt, _label in (("bib", "bibtex", "BibTeX"), ("ris", "ris", "RIS"),
                              ("csl.json", "csl-json", "CSL JSON")):  # fmt: skip
    _add_search_export(_suffix, _fmt, _label)


assert set(EXPORT_FORMATS) == set(MEDIA_TYPES)
