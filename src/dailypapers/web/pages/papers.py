"""The paper page: ``/papers/{id}`` with the full abstract, authors, categories and links.

Other areas fill slots on it: ``partials/upvote_button.html`` and ``partials/comments.html``
(community), ``partials/similar.html`` (search). Each sees ``item`` and ``paper``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

import dailypapers.web.convertors  # noqa: F401  (registers the ``paper_id`` path convertor)
from dailypapers.feed.windows import Window
from dailypapers.search import get_index
from dailypapers.store.queries.papers import get_paper
from dailypapers.web.deps import get_db
from dailypapers.web.pages.search import similar_items
from dailypapers.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/papers/{paper_id:paper_id}", response_class=HTMLResponse)
def paper_page(paper_id: str, request: Request, session: Session = Depends(get_db)) -> HTMLResponse:
    """One paper, by arXiv id (any version) or ``t-`` id."""
    # Load the search index before this request takes a pooled connection: a cold index
    # syncs through a connection of its own while other requests wait for it.
    get_index(request.app.state.settings)
    item = get_paper(session, paper_id)
    if item is None:
        raise HTTPException(404, f"No paper with id {paper_id!r} here.")
    day = Window.containing("day", item.feed_date) if item.feed_date else None
    similar = similar_items(request, session, item)
    return render(request, "paper.html", item=item, paper=item.paper, day=day, similar=similar)
