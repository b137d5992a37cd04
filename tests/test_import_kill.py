"""SIGKILL an import with embedding at three points; the rerun must leave every paper stored
once and embedded (whole-abstract and part vectors), and the index complete (issue 14).

The import runs in a subprocess (``tests/kill_driver.py``) that stops at the chosen point and
waits; the test sees the marker, checks the database shows the expected progress, and kills
it. Nothing depends on timings.
"""

from __future__ import annotations

import gzip
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dailypapers.config import Settings
from dailypapers.search.backfill import missing
from dailypapers.search.contract import contract_for
from dailypapers.search.engine import forget_indexes, status
from dailypapers.search.parts_store import parts_key
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Paper, PaperAuthor, PaperVector
from tests.conftest import CORPUS_74K
from tests.test_cli_import import _env

DRIVER = Path(__file__).with_name("kill_driver.py")
PAPERS = 30  # three batches of kill_driver.BATCH


def _counts(settings: Settings) -> dict[str, int]:
    doc, parts = contract_for(settings.embedding_model).key, parts_key(settings)
    with db.session_scope(settings) as session:

        def count(model, *where) -> int:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return {
            "papers": count(Paper),
            "feed": count(FeedEntry),
            "vectors": count(PaperVector, PaperVector.contract == doc),
            "parts": count(PaperVector, PaperVector.contract == parts),
            "authors": count(PaperAuthor),
        }


def _env_with_embedding(settings: Settings) -> dict[str, str]:
    return {**_env(settings), "DAILYPAPERS_EMBED_ON_IMPORT": "true",
            "DAILYPAPERS_INDEX_REFRESH_SECONDS": "3600"}  # fmt: skip


def _run_until_stopped(settings: Settings, point: str, corpus: Path, marker: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(marker), point, str(corpus)],
        env=_env_with_embedding(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in itertools.count():  # wait for the marker (a safety bound, not a timing)
            if marker.exists():
                break
            if proc.poll() is not None:
                pytest.fail(f"driver ended early: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    with gzip.open(CORPUS_74K, "rt") as src:
        lines = list(itertools.islice(src, PAPERS))
    path = tmp_path / "c.jsonl"
    path.write_text("".join(lines))
    return path


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_74K.exists(), reason="../shared corpus missing")
@pytest.mark.parametrize(
    ("point", "progress"),
    [
        ("before-embedding", {"papers": 20, "vectors": 10, "parts": 10}),
        ("between-vectors-and-parts", {"papers": 20, "vectors": 20, "parts": 10}),
        ("inside-index-sync", {"papers": 20, "vectors": 20, "parts": 20}),
    ],
)
def test_a_killed_import_heals_on_rerun(
    settings: Settings, tmp_path: Path, corpus: Path, point: str, progress: dict[str, int]
) -> None:
    _run_until_stopped(settings, point, corpus, tmp_path / "stopped")
    seen = _counts(settings)
    assert {k: seen[k] for k in progress} == progress, seen  # killed where intended
    rerun = subprocess.run(
        [sys.executable, str(DRIVER), str(tmp_path / "unused"), "none", str(corpus)],
        env=_env_with_embedding(settings), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert f"{PAPERS} papers read: 10 added, 0 updated, 20 skipped, 0 errors" in rerun.stdout
    after = _counts(settings)
    assert after["papers"] == after["feed"] == after["vectors"] == after["parts"] == PAPERS
    assert missing(settings).total == 0
    forget_indexes()
    index = status(settings)
    assert index["keyword_docs"] == PAPERS and index["changed_since_sync"] == 0
    rows = (Path(settings.data_dir) / "index" / "rows.txt").read_text().split()
    assert len(rows) == len(set(rows)) == PAPERS
