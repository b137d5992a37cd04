"""A fake upstream for ingestion tests: a real HTTP server on loopback that replays arXiv API
Atom pages and Hugging Face ``/api/daily_papers`` JSON from ``tests/fixtures/upstream/``.

Routes:
- ``/api/query?search_query=cat:C&start=N`` serves ``arxiv/C_N.xml`` (an empty feed if absent);
- ``/api/query?id_list=a,b`` builds a feed of those entries out of every fixture page;
- ``/api/daily_papers?date=D&p=0`` serves ``hf/D.json`` (``[]`` if absent; later pages ``[]``).

Faults are queued with :meth:`Upstream.fail` and consumed, in order, by matching requests;
``hold`` makes matching requests wait until released (to kill a client mid-run).
"""

from __future__ import annotations

import json
import os
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"
ATOM = "http://www.w3.org/2005/Atom"
EMPTY_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
    "<title>arXiv Query</title><opensearch:totalResults>{total}</opensearch:totalResults>"
    "<opensearch:startIndex>{start}</opensearch:startIndex>"
    "<opensearch:itemsPerPage>0</opensearch:itemsPerPage></feed>"
)
OAI_BAD_TOKEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    b"<responseDate>2026-11-22T05:00:00Z</responseDate>"
    b'<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>'
    b'<error code="badResumptionToken">The value of the resumptionToken argument is invalid '
    b"or expired.</error></OAI-PMH>"
)


@dataclass
class Fault:
    match: str  # substring of the request path + query
    status: int = 503
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # drop the connection without an answer
    stall: float = 0.0  # seconds to wait before answering (to provoke client timeouts)


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    at: float
    status: int


class Upstream:
    """State shared with the request handler: fixtures, queued faults and the request log."""

    def __init__(self, root: Path = UPSTREAM) -> None:
        self.root = root
        self.faults: list[Fault] = []
        self.requests: list[Seen] = []
        self.holds: dict[str, threading.Event] = {}
        self.waiting: list[str] = []  # targets of requests that reached a hold
        self.lock = threading.Lock()
        self.url = ""

    def fail(self, match: str, status: int = 503, times: int = 1, **kw) -> None:
        """Answer the next ``times`` requests containing ``match`` with a fault."""
        self.faults.extend(Fault(match, status, **kw) for _ in range(times))

    def hold(self, match: str) -> threading.Event:
        """Make requests containing ``match`` wait until the returned event is set."""
        event = threading.Event()
        self.holds[match] = event
        return event

    def hits(self, match: str) -> list[Seen]:
        return [r for r in self.requests if match in _target(r.path, r.query)]

    def take_fault(self, target: str) -> Fault | None:
        with self.lock:
            for i, fault in enumerate(self.faults):
                if fault.match in target:
                    return self.faults.pop(i)
        return None

    def respond(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/api/query":
            return 200, "application/atom+xml; charset=utf-8", self._arxiv(query)
        if path == "/api/daily_papers":
            return 200, "application/json", self._hf(query)
        if path == "/oai":
            return 200, "text/xml; charset=utf-8", self._oai(query)
        return 404, "text/plain", b"not found"

    def _arxiv(self, query: dict[str, str]) -> bytes:
        if query.get("id_list"):
            return _feed_of_ids(self.root / "arxiv", query["id_list"].split(","))
        category = query.get("search_query", "").removeprefix("cat:")
        start = int(query.get("start", "0"))
        page = self.root / "arxiv" / f"{category}_{start}.xml"
        if page.exists():
            return page.read_bytes()
        return EMPTY_FEED.format(total=start, start=start).encode()

    def _oai(self, query: dict[str, str]) -> bytes:
        folder = self.root / "oai"
        if "resumptionToken" in query:
            page = folder / f"token-{query['resumptionToken'].replace('|', '_')}.xml"
            return page.read_bytes() if page.exists() else OAI_BAD_TOKEN
        if query.get("from", "") >= "2026-11-22":
            return (folder / "no_records.xml").read_bytes()
        return (folder / "first.xml").read_bytes()

    def _hf(self, query: dict[str, str]) -> bytes:
        day = self.root / "hf" / f"{query.get('date')}.json"
        if not day.exists():
            return b"[]"
        page, limit = int(query.get("p", "0")), int(query.get("limit", "50"))
        if page == 0 and len(day.read_bytes()) < 100_000:
            return day.read_bytes()  # small days: the file as written
        entries = json.loads(day.read_bytes())
        return json.dumps(entries[page * limit : (page + 1) * limit]).encode()


def _target(path: str, query: dict[str, str]) -> str:
    return path + "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))


def _feed_of_ids(folder: Path, ids: list[str]) -> bytes:
    """A real-format id_list answer: the fixture entries whose id is asked for."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    found: dict[str, ET.Element] = {}
    for page in sorted(folder.glob("*_*.xml")):
        root = ET.parse(page).getroot()  # noqa: S314 - our own fixture files
        for entry in root.iter(f"{{{ATOM}}}entry"):
            raw = entry.findtext(f"{{{ATOM}}}id", "").rsplit("/", 1)[-1]
            found.setdefault(raw.split("v")[0], entry)
    hits = [found[i] for i in ids if i in found]
    total = ET.SubElement(feed, "{http://a9.com/-/spec/opensearch/1.1/}totalResults")
    total.text = str(len(hits))
    feed.extend(hits)
    return ET.tostring(feed, xml_declaration=True, encoding="utf-8")


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            target = _target(parts.path, query)
            for match, event in list(upstream.holds.items()):
                if match in target:
                    upstream.waiting.append(target)
                    event.wait(30)
            fault = upstream.take_fault(target)
            if fault and fault.stall:
                upstream.waiting.append(target)
                time.sleep(fault.stall)
                fault = None if fault.status == 200 and not fault.body else fault
            if fault and fault.reset:
                upstream.requests.append(Seen(parts.path, query, time.monotonic(), 0))
                self.close_connection = True
                self.connection.close()
                return
            if fault:
                status, ctype, body = fault.status, "text/plain", fault.body
                headers = fault.headers
            else:
                (status, ctype, body), headers = upstream.respond(parts.path, query), {}
            upstream.requests.append(Seen(parts.path, query, time.monotonic(), status))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """The fake arXiv + Hugging Face upstream, served on a free loopback port."""
    state = Upstream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    for event in state.holds.values():
        event.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def ingest_settings(settings, upstream):
    """Test settings pointed at the fake upstream, with tiny pages and fast retries."""
    return settings.model_copy(
        update={
            "arxiv_api_url": f"{upstream.url}/api/query",
            "hf_api_url": upstream.url,
            "arxiv_oai_url": f"{upstream.url}/oai",
            "arxiv_categories": ["cs.LG", "cs.CL"],
            "arxiv_page_size": 3,
            "arxiv_first_run_days": 36500,
            "arxiv_delay_seconds": 0,
            "http_backoff_seconds": 0.01,
            "http_backoff_max_seconds": 5,
            "http_max_retries": 3,
            "http_timeout_seconds": 5,
        }
    )


def cli_env(settings, **extra: str) -> dict[str, str]:
    """Environment for a ``dailypapers`` subprocess using the same database and upstream."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update(
        DAILYPAPERS_DATA_DIR=str(settings.data_dir),
        DAILYPAPERS_SECRET_KEY=settings.secret_key,
        DAILYPAPERS_ARXIV_API_URL=settings.arxiv_api_url,
        DAILYPAPERS_HF_API_URL=settings.hf_api_url,
        DAILYPAPERS_ARXIV_CATEGORIES='["cs.LG","cs.CL"]',
        DAILYPAPERS_ARXIV_PAGE_SIZE="3",
        DAILYPAPERS_ARXIV_FIRST_RUN_DAYS="36500",
        DAILYPAPERS_ARXIV_DELAY_SECONDS="0",
        DAILYPAPERS_HTTP_BACKOFF_SECONDS="0.01",
        DAILYPAPERS_EMBED_ON_IMPORT="false",
        DAILYPAPERS_CONFIG_FILE="/nonexistent",
    )
    if settings.database_url:
        env["DAILYPAPERS_DATABASE_URL"] = settings.database_url
    env.update({f"DAILYPAPERS_{k.upper()}": v for k, v in extra.items()})
    return env


def wait_for(predicate, seconds: float = 60) -> None:
    """Poll ``predicate`` until it is true (fails the test after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
