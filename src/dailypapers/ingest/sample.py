"""The bundled sample corpus of ``dailypapers demo``: import it once, with its vectors.

The files in ``dailypapers/data/`` (made by ``scripts/build_sample_data.py``) hold the four
Daily Papers sample pages, the last two weeks of the 74k arXiv corpus and the
all-MiniLM-L6-v2 vectors of all those papers, so semantic search works without embedding.
A ``meta`` row records the loaded sample's version: a second load does nothing.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select

from dailypapers.config import Settings
from dailypapers.ingest.runner import ImportReport, ProgressFn, import_paths
from dailypapers.ingest.vectors import load_vector_file
from dailypapers.store import db
from dailypapers.store.models import Meta

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
VECTORS = DATA_DIR / "sample.minilm.f16.npy"
VECTOR_IDS = DATA_DIR / "sample.minilm.f16.npy.ids.txt"
META_KEY = "demo_sample_version"


def sample_files() -> list[Path]:
    """The bundled corpus files, pages first (they carry their own dates)."""
    return [*sorted(DATA_DIR.glob("sample-pages-*.txt.gz")), DATA_DIR / "sample-arxiv.jsonl.gz"]


def sample_version() -> str:
    """A digest of the bundled ids: a changed sample is loaded again."""
    return hashlib.sha256(VECTOR_IDS.read_bytes()).hexdigest()[:16]


def is_loaded(settings: Settings) -> bool:
    with db.session_scope(settings) as session:
        return session.scalar(select(Meta.value).where(Meta.key == META_KEY)) == sample_version()


def load_sample(settings: Settings, progress: ProgressFn | None = None) -> ImportReport | None:
    """Import the sample corpus and its vectors; None when this version is already loaded."""
    if is_loaded(settings):
        return None
    quiet = settings.model_copy(update={"embed_on_import": False})  # vectors come precomputed
    report = import_paths(quiet, sample_files(), progress=progress)
    try:
        load_vectors(settings)
    except Exception as exc:  # search still works by keyword; vectors can be rebuilt later
        log.warning("sample vectors not loaded (%s)", exc)
        report.warnings.append(
            f"semantic search vectors not loaded ({exc}); run `dailypapers index rebuild`"
        )
    with db.session_scope(settings) as session:
        session.merge(Meta(key=META_KEY, value=sample_version()))
    return report


def load_vectors(settings: Settings) -> int:
    """Store the bundled vectors through the search indexer and bring the index up to date."""
    return load_vector_file(settings, VECTORS)
