"""The bundled sample corpus of ``dailypapers demo``: import it once, with its vectors.

The files in ``dailypapers/data/`` (made by ``scripts/build_sample_data.py``) hold the four
Daily Papers sample pages, the last two weeks of the 74k arXiv corpus and the
all-MiniLM-L6-v2 vectors of all those papers, so semantic search works without embedding.
A ``meta`` row records the loaded sample's version: a second load does nothing.

Dates are moved to the day of the load, so that the demo looks like a live site: every
arXiv listing date moves by the same number of days, chosen so that the newest listing day
of the sample becomes today (UTC). Feed days, publication dates, search filters
(``since:``) and digests all see the moved dates; arXiv ids and links stay the real ones.
A demo folder opened again on a later day is moved forward the same way
(:func:`redate_sample`). The sample pages' entries keep their own dates. Entries of a page
that shows no date at all would land on the import day, forming a fake "today" of papers
without authors or links; the demo keeps them as papers (search finds them, their pages link
to an arXiv title search) but out of the daily feed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import tempfile
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dailypapers.config import Settings
from dailypapers.foryou.terms import store_term_counts
from dailypapers.ingest.runner import ImportReport, ProgressFn, import_paths
from dailypapers.ingest.vectors import load_vector_file
from dailypapers.search import get_index
from dailypapers.store import db
from dailypapers.store.models import FeedEntry, Meta, Paper, utcnow
from dailypapers.store.trending import refresh_scores
from dailypapers.store.version import bump_data_version

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
VECTORS = DATA_DIR / "sample.minilm.f16.npy"
VECTOR_IDS = DATA_DIR / "sample.minilm.f16.npy.ids.txt"
META_KEY = "demo_sample_version"
NEWEST_DAY_KEY = "demo_newest_day"
ARXIV_FILE = DATA_DIR / "sample-arxiv.jsonl.gz"


def sample_files() -> list[Path]:
    """The bundled corpus files, pages first (they carry their own dates)."""
    return [*sorted(DATA_DIR.glob("sample-pages-*.txt.gz")), ARXIV_FILE]


def bundled_newest_day() -> dt.date:
    """The newest arXiv listing day in the bundled file (before moving dates)."""
    with gzip.open(ARXIV_FILE, "rt", encoding="utf-8") as lines:
        return max(dt.date.fromisoformat(json.loads(line)["first_listing_date"]) for line in lines)


def write_shifted_arxiv(target: Path, days: int) -> Path:
    """A copy of the bundled arXiv file with every listing date moved by ``days``."""
    with gzip.open(ARXIV_FILE, "rt", encoding="utf-8") as src, target.open("w") as out:
        for line in src:
            row = json.loads(line)
            listed = dt.date.fromisoformat(row["first_listing_date"])
            row["first_listing_date"] = (listed + dt.timedelta(days=days)).isoformat()
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def demo_newest_day(settings: Settings) -> dt.date | None:
    """The newest feed day the loaded demo was given (None when not loaded)."""
    with db.session_scope(settings) as session:
        value = session.scalar(select(Meta.value).where(Meta.key == NEWEST_DAY_KEY))
    return dt.date.fromisoformat(value) if value else None


def drop_undated_from_feed(session: Session) -> int:
    """Take sample-page papers without any date out of the feed (see the module docstring)."""
    undated = select(Paper.id).where(Paper.source == "pages", Paper.published_on.is_(None))
    return db.rowcount(session.execute(delete(FeedEntry).where(FeedEntry.paper_id.in_(undated))))


def sample_version() -> str:
    """A digest of the bundled ids: a changed sample is loaded again."""
    return hashlib.sha256(VECTOR_IDS.read_bytes()).hexdigest()[:16]


def is_loaded(settings: Settings) -> bool:
    with db.session_scope(settings) as session:
        return session.scalar(select(Meta.value).where(Meta.key == META_KEY)) == sample_version()


def load_sample(
    settings: Settings, progress: ProgressFn | None = None, today: dt.date | None = None
) -> ImportReport | None:
    """Import the sample corpus and its vectors, its newest day moved to ``today`` (default:
    today, UTC); None when this version is already loaded."""
    if is_loaded(settings):
        return None
    today = today or dt.datetime.now(dt.UTC).date()
    shift = (today - bundled_newest_day()).days
    quiet = settings.model_copy(update={"embed_on_import": False})  # vectors come precomputed
    with tempfile.TemporaryDirectory(prefix="dailypapers-demo-") as tmp:
        arxiv = write_shifted_arxiv(Path(tmp) / "sample-arxiv.jsonl", shift)
        report = import_paths(quiet, [*sample_files()[:-1], arxiv], progress=progress)
    with db.session_scope(settings) as session:
        dropped = drop_undated_from_feed(session)
    if dropped:
        report.warnings.append(
            f"{dropped} undated sample-page papers kept out of the daily feed (search finds them)"
        )
    try:
        load_vectors(settings)
    except Exception as exc:  # search still works by keyword; vectors can be rebuilt later
        log.warning("sample vectors not loaded (%s)", exc)
        report.warnings.append(
            f"semantic search vectors not loaded ({exc}); run `dailypapers index rebuild`"
        )
    store_term_counts(settings)
    with db.session_scope(settings) as session:
        session.merge(Meta(key=META_KEY, value=sample_version()))
        session.merge(Meta(key=NEWEST_DAY_KEY, value=today.isoformat()))
    return report


def bundled_arxiv_ids() -> list[str]:
    """The arXiv ids of the bundled listing file."""
    with gzip.open(ARXIV_FILE, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines]


def redate_sample(settings: Settings, today: dt.date | None = None) -> int:
    """Move a loaded demo's arXiv papers forward so that its newest day is ``today`` again.

    Feed days, publication and update dates move by the same number of days; the papers are
    marked changed so that caches and the search index (``since:``) follow. Returns how many
    papers moved (0 when the demo is current, or not loaded).
    """
    today = today or dt.datetime.now(dt.UTC).date()
    newest = demo_newest_day(settings)
    if newest is None or newest >= today:
        return 0
    delta = today - newest
    ids = bundled_arxiv_ids()
    with db.session_scope(settings) as session:
        moved = _move_dates(session, settings, ids, delta)
        session.merge(Meta(key=NEWEST_DAY_KEY, value=today.isoformat()))
    # Only dates moved: the texts, so the vectors, are unchanged. The keyword index takes the
    # new dates (``since:``); part vectors stay the backfill's job, as after the first load
    # (embedding them here kept a later `dailypapers demo` silent for minutes).
    get_index(settings).sync()
    return len(moved)


def _move_dates(
    session: Session, settings: Settings, ids: list[str], delta: dt.timedelta
) -> list[str]:
    rows = session.execute(
        select(Paper.id, Paper.published_on, Paper.updated_on, FeedEntry.feed_date)
        .join(FeedEntry, FeedEntry.paper_id == Paper.id)
        .where(Paper.id.in_(ids))
    ).all()
    now = utcnow()

    def later(day: dt.date | None) -> dt.date | None:
        return day + delta if day else None

    session.execute(update(Paper), [
        {"id": pid, "published_on": later(pub), "updated_on": later(upd), "updated_at": now}
        for pid, pub, upd, _ in rows
    ])  # fmt: skip
    session.execute(update(FeedEntry), [
        {"paper_id": pid, "feed_date": later(day)} for pid, _, _, day in rows
    ])  # fmt: skip
    moved = [pid for pid, *_ in rows]
    refresh_scores(session, settings, moved)
    bump_data_version(session)
    return moved


def load_vectors(settings: Settings) -> int:
    """Store the bundled vectors through the search indexer and bring the index up to date."""
    return load_vector_file(settings, VECTORS)
