"""``GET /api/papers/{id}`` (Hugging Face paper JSON) and ``GET /papers/{id}.md`` (Markdown)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.store.queries.papers import FeedItem, get_paper
from dailypapers.web.api.schemas import ApiError, HfPaper, paper_markdown, paper_to_hf
from dailypapers.web.deps import get_db

router = APIRouter(tags=["papers"])


def paper_or_404(session: Session, paper_id: str) -> FeedItem:
    """The paper with this id (any arXiv version), or a 404 that says which id was missing."""
    item = get_paper(session, paper_id)
    if item is None:
        raise HTTPException(404, f"No paper with id {paper_id!r} here.")
    return item


@router.get(
    "/api/papers/{paper_id:paper_id}",
    response_class=Response,
    responses={200: {"model": HfPaper}, 404: {"model": ApiError}},
    summary="One paper (Hugging Face compatible)",
)
def paper_json(paper_id: str, session: Session = Depends(get_db)) -> Response:
    """A paper by arXiv id (with or without version) or ``t-`` id."""
    return Response(orjson.dumps(paper_to_hf(paper_or_404(session, paper_id))),
                    media_type="application/json")  # fmt: skip


@router.get(
    "/papers/{paper_id:paper_id}.md",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}, 404: {"model": ApiError}},
    summary="One paper as Markdown (Hugging Face compatible)",
    tags=["papers"],
)
def paper_md(paper_id: str, request: Request, session: Session = Depends(get_db)) -> Response:
    """Title, authors, dates, links and abstract as a Markdown document."""
    item = paper_or_404(session, paper_id)
    text = paper_markdown(item, request.app.state.settings.base_url)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")
