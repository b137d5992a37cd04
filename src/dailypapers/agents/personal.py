"""The personal tools' link to the library (issue 10) and "For you" (issue 11) packages.

Those packages land separately; until one is installed its tools answer a clear "not on this
server yet" error instead of failing. Each adapter names the functions it calls, so wiring a
changed package is a change to this file only. Services never commit; the MCP server commits
after a write tool.

* library (branch ``library``): ``library.saves.save_paper(session, user_id, id,
  collection=…, source=…)``, ``library.follows.follow(session, user_id, kind, value)``,
  ``library.collections.get_collection(session, user_id, name)`` and
  ``store.queries.library.library_page(session, user_id, LibraryFilter(…))``.
* For you (branch ``foryou``): ``foryou.personal.page(session, user_id, start, end,
  model=…, limit=…)`` → ``Page(entries=[Entry(item, score, reasons)], total, cold)``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from dailypapers.agents.render import paper_line, paper_list
from dailypapers.community.auth import CurrentUser
from dailypapers.config import Settings
from dailypapers.errors import DomainError
from dailypapers.feed.windows import Window


class NotAvailable(DomainError):
    """The feature behind a tool is not installed on this server."""

    status = 501


def _function(module: str, name: str, feature: str) -> Any:
    try:
        found: ModuleType | None = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name not in {module, module.rsplit(".", 1)[0]}:
            raise
        found = None
    fn = getattr(found, name, None)
    if fn is None:
        raise NotAvailable(f"{feature} is not available on this server yet.")
    return fn


def available(module: str, name: str) -> bool:
    """Whether ``module.name`` exists (tests and the docs use it)."""
    try:
        _function(module, name, "")
    except NotAvailable:
        return False
    return True


def for_you(settings: Settings, session: Session, user: CurrentUser, window: Window,
            limit: int) -> str:  # fmt: skip
    page = _function("dailypapers.foryou.personal", "page", "The For you ranking")
    ranked = page(session, user.id, window.start, window.end, model=settings.embedding_model,
                  limit=limit)  # fmt: skip
    lines = [f"for you, {window.kind} {window.key}: {ranked.total} papers ranked"]
    if ranked.cold:
        lines.append("(no signals yet: save, upvote or follow papers to get a ranking)")
    for entry in ranked.entries:
        why = "; ".join(entry.reasons)
        lines.append(paper_line(entry.item, f"score {entry.score:.2f}: {why}"))
    return "\n".join(lines)


def library_list(session: Session, user: CurrentUser, collection: str | None, limit: int) -> str:
    page = _function("dailypapers.store.queries.library", "library_page", "The library")
    make_filter = _function("dailypapers.store.queries.library", "LibraryFilter", "The library")
    collection_id = None
    if collection:
        get = _function("dailypapers.library.collections", "get_collection", "The library")
        collection_id = get(session, user.id, collection).id
    saved, total = page(session, user.id, make_filter(collection_id=collection_id, limit=limit))
    where = f" / {collection}" if collection else ""
    return paper_list(f"library{where}: {total} papers", [s.item for s in saved])


def library_add(session: Session, user: CurrentUser, paper_id: str, collection: str | None) -> str:
    save = _function("dailypapers.library.saves", "save_paper", "The library")
    save(session, user.id, paper_id, collection=collection, source="api")
    return f"saved {paper_id} to {collection or 'your Reading list'}"


def follow(session: Session, user: CurrentUser, kind: str, value: str) -> str:
    add = _function("dailypapers.library.follows", "follow", "Following")
    _, created = add(session, user.id, kind, value)
    return f"{'now following' if created else 'already following'} {kind} {value!r}"
