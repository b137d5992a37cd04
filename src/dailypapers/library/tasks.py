"""Background job of the library: fetch pending imports from arXiv (``dailypapers worker``)."""

from __future__ import annotations

import logging

from dailypapers.jobs import current_settings, huey
from dailypapers.library.pending import fetch_pending
from dailypapers.store import db

log = logging.getLogger(__name__)


@huey.task(name="library_fetch_pending")
def fetch_pending_task(user_id: int) -> dict:
    """Fetch one user's pending imported arXiv ids and save them into their library."""
    settings = current_settings()
    with db.session_scope(settings) as session:
        result = fetch_pending(session, settings, user_id)
    if result.error:
        log.warning("library import of user %s: %s", user_id, result.error)
    return {"saved": result.saved, "unknown": result.unknown, "failed": result.failed}


def queue_fetch(user_id: int) -> bool:
    """Queue the fetch job; False (logged) when the queue cannot be reached: the rows stay
    pending and ``dailypapers library fetch-pending`` or the next import picks them up."""
    try:
        fetch_pending_task(user_id)
    except Exception:
        log.warning("could not queue the arXiv fetch of pending imports", exc_info=True)
        return False
    return True
