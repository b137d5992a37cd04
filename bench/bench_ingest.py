"""Live ingestion throughput: ``python -m bench ingest [--papers=N] [--page-size=K]``.

A local HTTP server on loopback serves N synthetic arXiv API entries (Atom, newest first)
in pages of K; ``ingest run --source arxiv`` reads them into a fresh SQLite database with
no polite delay and no embeddings. Reports end-to-end papers/s, the Atom parser alone
(entries/s), a second run (which must add nothing) and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.common import peak_rss_mb, save

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom"><title>arXiv Query</title>'
    "<opensearch:totalResults>{total}</opensearch:totalResults>"
    "<opensearch:startIndex>{start}</opensearch:startIndex>"
    "<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"
)
ENTRY = (
    "<entry><id>http://arxiv.org/abs/2611.{n:05d}v1</id><updated>{ts}</updated>"
    "<published>{ts}</published><title>Synthetic paper number {n} on scaling\n  laws</title>"
    "<summary>We study synthetic benchmark {n}. {filler}</summary>"
    "<author><name>Author {a}</name></author><author><name>Author {b}</name></author>"
    '<author><name>Author {c}</name></author><link href="https://arxiv.org/abs/2611.{n:05d}v1" '
    'rel="alternate" type="text/html"/><link href="https://arxiv.org/pdf/2611.{n:05d}v1" '
    'rel="related" type="application/pdf" title="pdf"/><arxiv:primary_category term="cs.LG"/>'
    '<category term="cs.LG"/><category term="cs.AI"/></entry>'
)
FILLER = "Results improve on prior work across many settings. " * 12


def page(total: int, start: int, size: int) -> bytes:
    """Entries ``start..start+size`` of ``total``, newest (highest number) first."""
    base = dt.datetime(2026, 11, 21, 20, 0, 0)
    entries = []
    for i in range(start, min(total, start + size)):
        n = total - i
        ts = (base - dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries.append(ENTRY.format(n=n, ts=ts, filler=FILLER, a=n % 97, b=n % 89, c=n % 83))
    head = HEAD.format(total=total, start=start, size=size)
    return (head + "".join(entries) + "</feed>").encode()


def serve(total: int) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            body = page(total, int(query.get("start", 0)), int(query.get("max_results", 100)))
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/api/query"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench ingest")
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args(argv)

    from dailypapers.config import Settings
    from dailypapers.ingest import arxiv_api, live
    from dailypapers.store import db

    sample = page(args.papers, 0, args.page_size)
    rounds = 20
    began = time.perf_counter()
    for _ in range(rounds):
        arxiv_api.parse_feed(sample, "bench")
    parse_rate = rounds * args.page_size / (time.perf_counter() - began)

    server, url = serve(args.papers)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder), arxiv_api_url=url, arxiv_categories=["cs.LG"],
            arxiv_page_size=args.page_size, arxiv_delay_seconds=0, arxiv_first_run_days=36500,
            arxiv_max_pages=10_000, embed_on_import=False,
        )  # fmt: skip
        db.upgrade(settings)
        began = time.perf_counter()
        [first] = live.run(settings, ["arxiv"])
        elapsed = time.perf_counter() - began
        began = time.perf_counter()
        [second] = live.run(settings, ["arxiv"])
        rerun = time.perf_counter() - began
        db.get_engine(settings).dispose()
    server.shutdown()
    assert first.error is None and first.added == args.papers, first
    assert second.added == 0 and second.updated == 0, second
    save(
        "ingest",
        {
            "papers": args.papers,
            "page_size": args.page_size,
            "pages": first.pages,
            "ingest_seconds": round(elapsed, 2),
            "ingest_papers_per_s": round(args.papers / elapsed),
            "atom_parse_entries_per_s": round(parse_rate),
            "second_run_seconds": round(rerun, 3),
            "second_run_pages": second.pages,
            "peak_rss_mb": round(peak_rss_mb()),
        },
    )
