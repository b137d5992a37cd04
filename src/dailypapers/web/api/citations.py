"""Public citation exports: ``/papers/{id}.bib|.ris`` and one search result page as
``/search.bib|.ris|.csl.json``; also the file answers the library's exports share."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.config import Settings
from dailypapers.errors import Invalid
from dailypapers.library import exports
from dailypapers.library.common import existing_paper_id
from dailypapers.library.formats.export import EXPORT_FORMATS, EXTENSIONS, MEDIA_TYPES
from dailypapers.search import QueryError, SearchRequest, search
from dailypapers.web.deps import get_db, get_settings_dep

router = APIRouter(tags=["cite"])
_SETTINGS = Depends(get_settings_dep)
_DB = Depends(get_db)


def file_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    """The documented 200 answer of an export route: a text file in one of ``formats``."""
    content = {MEDIA_TYPES[f]: {"schema": {"type": "array" if f == "csl-json" else "string"}}
               for f in formats}  # fmt: skip
    return {200: {"description": "The file, as an attachment.", "content": content}}


def download(text: str, fmt: str, stem: str) -> Response:
    return Response(
        text,
        media_type=MEDIA_TYPES[fmt] + "; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.{EXTENSIONS[fmt]}"'},
    )


@router.get(
    "/papers/{paper_id:paper_id}.bib",
    summary="BibTeX of a paper",
    tags=["cite"],
    response_class=Response,
    responses=file_responses("bibtex"),
)
def paper_bib(paper_id: str, session: Session = _DB) -> Response:
    return _cite(session, paper_id, "bibtex")


@router.get(
    "/papers/{paper_id:paper_id}.ris",
    summary="RIS of a paper",
    tags=["cite"],
    response_class=Response,
    responses=file_responses("ris"),
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
    return download(text, fmt, "search")


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
        tags=["cite"], response_class=Response, responses=file_responses(fmt),
    )  # fmt: skip


for _suffix, _fmt, _label in (("bib", "bibtex", "BibTeX"), ("ris", "ris", "RIS"),
                              ("csl.json", "csl-json", "CSL JSON")):  # fmt: skip
    _add_search_export(_suffix, _fmt, _label)


assert set(EXPORT_FORMATS) == set(MEDIA_TYPES)
