"""Subprocess for ``test_import_kill.py``: an import with embedding that stops at a chosen
point and waits there to be killed, or (point ``none``) the ``dailypapers import`` command.

``python tests/kill_driver.py MARKER POINT FILE...`` (with ``none``: any ``import`` arguments):
at POINT it writes MARKER and sleeps until SIGKILL arrives, so the test never depends on how
fast anything runs. Embedding uses
``backfill_fixtures.HashEmbedder`` (the subject is the bookkeeping, not the vectors).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
BATCH = 10


def _stop_at(owner: Any, name: str, nth: int, marker: Path, after: bool = False) -> None:
    """Wrap ``owner.name`` so that its ``nth`` call writes ``marker`` and waits forever
    (before the call, or right after it with ``after``)."""
    original: Callable[..., Any] = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth and not after:
            _wait(marker)
        result = original(*args, **kwargs)
        if calls[0] == nth and after:
            _wait(marker)
        return result

    setattr(owner, name, wrapper)


def _wait(marker: Path) -> None:
    marker.write_text("stopped")
    while True:
        time.sleep(60)


def main() -> None:
    marker, point, *paths = sys.argv[1:]
    from tests.backfill_fixtures import install

    install()
    import dailypapers.search as search
    from dailypapers.search import indexer, keyword

    stop = Path(marker)
    if point == "none":
        from dailypapers.cli.main import main as cli

        sys.argv = ["dailypapers", "import", *paths]
        cli()
        return
    if point == "before-embedding":  # batch 2 committed, not embedded yet
        _stop_at(search, "index_papers", 2, stop)  # what the importer calls
    elif point == "between-vectors-and-parts":  # batch 2's vectors stored, not its parts
        _stop_at(indexer, "index_parts", 2, stop)
    elif point == "inside-index-sync":  # keyword docs committed, index state not yet written
        _stop_at(keyword.KeywordIndex, "write", 2, stop, after=True)
    else:
        raise SystemExit(f"unknown point {point}")
    from dailypapers.config import get_settings
    from dailypapers.ingest.runner import import_paths
    from dailypapers.store import db

    db.ensure_schema(get_settings())
    import_paths(get_settings(), paths, batch_size=BATCH)
    raise SystemExit("the import ended without reaching the stop point")


if __name__ == "__main__":
    main()
