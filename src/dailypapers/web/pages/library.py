"""Library pages and form posts: ``/library`` (and ``/library/{collection}``), the import page
with its preview, the save / read forms used on every list, collections and public collections.
Follows and profiles are in ``pages/following.py``, the "your data" page in ``pages/your_data.py``.

Every form works without JavaScript: it posts here and is sent back (303) to the page (and the
paper's place in the list) it came from; ``static/library.js`` makes the save and read buttons
toggle in place through the JSON API.
"""

from __future__ import annotations

import math
import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import DomainError, Invalid, NotFound
from dailypapers.library import collections, importer, reads, saves
from dailypapers.library.formats.export import EXPORT_FORMATS
from dailypapers.library.search import build_filter
from dailypapers.library.tasks import queue_fetch
from dailypapers.search import get_index
from dailypapers.store.db import writing
from dailypapers.store.queries import library as queries
from dailypapers.store.queries.papers import get_paper
from dailypapers.store.queries.profiles import profile_of
from dailypapers.web import community_ui, library_ui
from dailypapers.web.deps import get_db, get_settings_dep, require_user, safe_next
from dailypapers.web.pages.atom import atom_document
from dailypapers.web.ratelimit import rate_limit
from dailypapers.web.security import require_csrf
from dailypapers.web.templating import render, templates

router = APIRouter(include_in_schema=False)
library_ui.register(templates.env)
_CSRF = Depends(require_csrf)
_DB = Depends(get_db)
_SETTINGS = Depends(get_settings_dep)
_WRITES = [_CSRF, Depends(rate_limit("library", per_minute=120))]
PAGE_SIZE = 50
_UPLOAD_HOURS = 6


def back(request: Request, target: str, message: str | None = None) -> RedirectResponse:
    if message:
        community_ui.flash(request, message)
    return RedirectResponse(safe_next(target), status_code=303)


def _anchor(next_url: str, paper_id: str) -> str:
    """Back to the paper's place in the list it was saved from."""
    target = safe_next(next_url)
    return (
        target if "#" in target or target.startswith("/papers/") else f"{target}#paper-{paper_id}"
    )


# --- the library ---------------------------------------------------------------------------------
def _library(
    request: Request,
    session: Session,
    settings: Settings,
    user: CurrentUser,
    collection: str | None,
    params: dict[str, Any],
) -> HTMLResponse:
    if params["q"].strip():  # load the index before the first query (one connection per request)
        get_index(settings)
    with writing(session, settings):  # the Reading list is created on first use
        cols = collections.list_collections(session, user.id)
    col = collections.get_collection(session, user.id, collection) if collection else None
    error = None
    try:
        f = build_filter(
            session,
            settings,
            user.id,
            collection=collection,
            tag=params["tag"],
            read=params["read"],
            sort=params["sort"],
            q=params["q"],
            page=params["page"],
            limit=PAGE_SIZE,
        )
        items, total = queries.library_page(session, user.id, f)
    except Invalid as exc:
        items, total, error = [], 0, exc.message
    return render(
        request,
        "library/library.html",
        status_code=400 if error else 200,
        items=items,
        total=total,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        collection=col,
        collections=cols,
        counts=queries.collection_counts(session, user.id),
        tags=queries.tag_counts(session, user.id),
        pending=queries.pending_imports(session, user.id),
        params=params,
        error=error,
        formats=EXPORT_FORMATS,
        active_nav="library",
        query=params["q"],
    )


def _params(tag: str, read: str, sort: str, q: str, page: int) -> dict[str, Any]:
    return {"tag": tag, "read": read, "sort": sort, "q": q, "page": page}


_TAG, _READ = Query("", max_length=64), Query("", pattern="^(|read|unread)$")
_SORT = Query("saved", pattern="^(saved|published|upvotes)$")
_Q, _PAGE = Query("", max_length=500), Query(1, ge=1, le=10_000)


@router.get("/library", response_class=HTMLResponse)
def library_page(
    request: Request,
    tag: str = _TAG,
    read: str = _READ,
    sort: str = _SORT,
    q: str = _Q,
    page: int = _PAGE,
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> HTMLResponse:
    """Every saved paper: filter by tag and read state, sort, search inside."""
    return _library(request, session, settings, user, None, _params(tag, read, sort, q, page))


@router.get("/library/import", response_class=HTMLResponse)
def import_page(
    request: Request, user: CurrentUser = Depends(require_user), session: Session = _DB
) -> HTMLResponse:
    return render(
        request,
        "library/import.html",
        report=None,
        token=None,
        collection="",
        collections=collections.list_collections(session, user.id),
        active_nav="library",
    )


def _uploads(settings: Settings) -> Path:
    folder = settings.data_dir / "library-imports"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.upload"):  # previews never confirmed
        if old.stat().st_mtime < time.time() - _UPLOAD_HOURS * 3600:
            old.unlink(missing_ok=True)
    return folder


@router.post(
    "/library/import",
    response_class=HTMLResponse,
    dependencies=[_CSRF, Depends(rate_limit("library-import", per_hour=30))],
)
async def import_preview(
    request: Request,
    file: UploadFile = File(...),
    collection: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    """Read the upload and show what it would add (nothing is saved yet)."""
    data = await file.read(settings.library_import_max_bytes + 1)
    name = (file.filename or "upload")[-100:]
    try:
        report = await run_in_threadpool(
            importer.import_references,
            session,
            settings,
            user.id,
            data,
            name,
            collection=collection or None,
            apply=False,
        )
    except DomainError as exc:
        return render(
            request,
            "library/import.html",
            exc.status,
            report=None,
            token=None,
            collection=collection,
            error=exc.message,
            collections=[],
            active_nav="library",
        )
    token = f"{user.id}-{secrets.token_urlsafe(12)}"
    (_uploads(settings) / f"{token}.upload").write_bytes(name.encode() + b"\n" + data)
    return render(
        request,
        "library/import.html",
        report=report,
        token=token,
        collection=collection,
        collections=[],
        active_nav="library",
    )


@router.post("/library/import/confirm", dependencies=_WRITES)
def import_confirm(
    request: Request,
    token: str = Form(...),
    collection: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    if not token.startswith(f"{user.id}-") or "/" in token or ".." in token:
        raise NotFound("This import preview does not exist (it expires after a few hours).")
    path = _uploads(settings) / f"{token}.upload"
    if not path.exists():
        raise NotFound("This import preview has expired; upload the file again.")
    name, _, data = path.read_bytes().partition(b"\n")
    with writing(session, settings):
        report = importer.import_references(
            session, settings, user.id, data, name.decode(), collection=collection or None
        )
    path.unlink(missing_ok=True)
    if report.of("pending"):
        queue_fetch(user.id)
    c = report.counts
    return back(
        request,
        "/library",
        f"Imported {c['matched']} papers ({c['already']} were "
        f"already saved, {c['pending']} pending from arXiv, {c['unmatched']} unmatched).",
    )


@router.get("/library/{collection}", response_class=HTMLResponse)
def collection_page(
    request: Request,
    collection: str,
    tag: str = _TAG,
    read: str = _READ,
    sort: str = _SORT,
    q: str = _Q,
    page: int = _PAGE,
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> HTMLResponse:
    """One collection of the library."""
    params = _params(tag, read, sort, q, page)
    return _library(request, session, settings, user, collection, params)


# --- save, edit, read (form fallbacks of the JSON API) -------------------------------------------
@router.post("/library/save", dependencies=_WRITES)
def save(
    request: Request,
    paper_id: str = Form(...),
    collection: str = Form(""),
    next: str = Form("/library"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        result = saves.save_paper(session, user.id, paper_id, collection=collection or None)
    return back(request, _anchor(next, result.paper_id))


@router.post("/library/unsave", dependencies=_WRITES)
def unsave(
    request: Request,
    paper_id: str = Form(...),
    next: str = Form("/library"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        result = saves.unsave_paper(session, user.id, paper_id)
    return back(request, _anchor(next, result.paper_id))


@router.post("/library/edit", dependencies=_WRITES)
def edit(
    request: Request,
    paper_id: str = Form(...),
    tags: str = Form(""),
    note: str = Form(""),
    note_format: str = Form("markdown"),
    add_to: str = Form(""),
    next: str = Form("/library"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    """Tags (comma separated), the note and "add to collection" of one saved paper."""
    try:
        with writing(session, settings):
            saves.update_saved(
                session,
                user.id,
                paper_id,
                tags=tags,
                note=note,
                note_format=note_format,
                add_to=[add_to] if add_to else [],
            )
    except Invalid as exc:
        return back(request, _anchor(next, paper_id), exc.message)
    return back(request, _anchor(next, paper_id), "Saved.")


@router.post("/library/remove-from", dependencies=_WRITES)
def remove_from(
    request: Request,
    paper_id: str = Form(...),
    collection: str = Form(...),
    next: str = Form("/library"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        saves.update_saved(session, user.id, paper_id, remove_from=[collection])
    return back(request, _anchor(next, paper_id))


@router.post("/library/read", dependencies=_WRITES)
def set_read(
    request: Request,
    paper_id: str = Form(...),
    read: str = Form("1"),
    next: str = Form("/library"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        if read == "1":
            reads.mark_read(session, user.id, paper_id)
        else:
            reads.mark_unread(session, user.id, paper_id)
    return back(request, _anchor(next, paper_id))


@router.post("/library/hide-read", dependencies=_WRITES)
def set_hide_read(
    request: Request,
    hide: str = Form("1"),
    next: str = Form("/"),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    with writing(session, settings):
        reads.set_prefs(session, user.id, hide_read=hide == "1")
    return back(request, next)


@router.get("/papers/{paper_id:paper_id}/pdf")
def open_pdf(
    paper_id: str, request: Request, session: Session = _DB, settings: Settings = _SETTINGS
) -> Response:
    """The paper's PDF; opening it marks the paper read (when the user has that switched on)."""
    item = get_paper(session, paper_id)
    if item is None or not item.paper.pdf_link:
        raise NotFound(f"No PDF for {paper_id!r} here.")
    user = getattr(request.state, "user", None)
    if user is not None:
        with writing(session, settings):
            reads.auto_mark_read(session, user.id, item.paper.id, "pdf")
    return RedirectResponse(item.paper.pdf_link, status_code=302)


# --- collections ---------------------------------------------------------------------------------
@router.post("/library/collections", dependencies=_WRITES)
def create_collection(
    request: Request,
    name: str = Form(""),
    public: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    try:
        with writing(session, settings):
            row = collections.create_collection(session, user.id, name, public=public == "1")
            slug = row.slug
    except DomainError as exc:
        return back(request, "/library", exc.message)
    return back(request, f"/library/{slug}", f"Collection {name.strip()!r} created.")


@router.post("/library/{collection}/settings", dependencies=_WRITES)
def collection_settings(
    request: Request,
    collection: str,
    action: str = Form(...),
    name: str = Form(""),
    user: CurrentUser = Depends(require_user),
    session: Session = _DB,
    settings: Settings = _SETTINGS,
) -> Response:
    """``action``: rename (with ``name``), share, unshare or delete."""
    try:
        with writing(session, settings):
            row = collections.get_collection(session, user.id, collection)
            if action == "delete":
                collections.delete_collection(session, row)
                target = "/library"
            else:
                if action == "rename":
                    collections.rename_collection(session, row, name)
                elif action in ("share", "unshare"):
                    collections.set_public(row, action == "share")
                else:
                    raise Invalid("Unknown action.")
                target = f"/library/{row.slug}"
    except DomainError as exc:
        return back(request, f"/library/{collection}", exc.message)
    return back(request, target, "Done.")


@router.get("/collections/{share_slug}.xml")
def public_collection_feed(
    share_slug: str, session: Session = _DB, settings: Settings = _SETTINGS
) -> Response:
    row = collections.public_collection(session, share_slug)
    items, _ = queries.library_page(
        session, row.user_id, queries.LibraryFilter(collection_id=row.id, limit=50)
    )
    base = settings.base_url.rstrip("/")
    doc = atom_document(
        settings,
        title=f"{row.name} · {settings.site_name}",
        self_url=f"{base}/collections/{share_slug}.xml",
        alternate=f"{base}/collections/{share_slug}",
        items=[i.item for i in items],
    )
    return Response(doc, media_type="application/atom+xml; charset=utf-8")


@router.get("/collections/{share_slug}", response_class=HTMLResponse)
def public_collection(
    request: Request, share_slug: str, page: int = _PAGE, session: Session = _DB
) -> HTMLResponse:
    """A shared collection, for anyone with the link."""
    row = collections.public_collection(session, share_slug)
    f = queries.LibraryFilter(collection_id=row.id, page=page, limit=PAGE_SIZE)
    items, total = queries.library_page(session, row.user_id, f)
    owner = profile_of(session, row.user_id)
    return render(
        request,
        "library/public_collection.html",
        collection=row,
        owner=owner,
        items=[i.item for i in items],
        notes={i.paper.id: i for i in items},
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
    )
