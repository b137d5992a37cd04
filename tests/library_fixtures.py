"""Papers the library fixtures (tests/fixtures/library) refer to, and a user to import into."""

from __future__ import annotations

import datetime as dt

from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "library"
KNOWN = {
    "1706.03762": ("Attention Is All You Need", ["Ashish Vaswani", "Noam Shazeer"], "cs.CL"),
    "2006.11239": ("Denoising Diffusion Probabilistic Models", ["Jonathan Ho", "Ajay Jain"],
                   "cs.LG"),
    "2207.12598": ("Classifier-Free Diffusion Guidance", ["Jonathan Ho", "Tim Salimans"], "cs.LG"),
    "2005.14165": ("Language Models are Few-Shot Learners", ["Tom B. Brown", "Benjamin Mann"],
                   "cs.CL"),
}  # fmt: skip


def add_known_papers(settings: Settings, day: dt.date = dt.date(2025, 3, 18)) -> list[str]:
    """Store the papers the fixture files cite; returns their ids."""
    records = [
        PaperRecord(title=title, abstract=f"Abstract of {title}.", arxiv_id=aid, authors=authors,
                    categories=[cat], published_on=dt.date(2020, 6, 19), feed_date=day)
        for aid, (title, authors, cat) in KNOWN.items()
    ]  # fmt: skip
    with db.session_scope(settings) as session:
        upsert_records(session, records)
    return list(KNOWN)
