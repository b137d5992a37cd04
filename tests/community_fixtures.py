"""Factories for community tests: users with API tokens, papers in the feed, an arXiv replay."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from dailypapers.community.auth import create_api_token
from dailypapers.community.users import create_user, signup_token
from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.models import SignupRequest
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from dailypapers.web import ratelimit

PASSWORD = "correct horse battery"


def make_user(settings: Settings, name: str, *, admin: bool = False) -> tuple[int, str]:
    """Create a user; returns (id, API token)."""
    with db.session_scope(settings) as session:
        user = create_user(session, name, f"{name}@example.org", PASSWORD, is_admin=admin)
        return user.id, create_api_token(session, user.id, "test")


def add_paper(
    settings: Settings,
    arxiv_id: str,
    title: str = "A paper",
    *,
    feed_date: dt.date | None = dt.date(2025, 3, 18),
    organization: str | None = None,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    upvotes: int | None = None,
) -> str:
    """Store a paper (in the feed on ``feed_date`` unless None); returns its id."""
    record = PaperRecord(
        title=title, abstract="We study things.", arxiv_id=arxiv_id, authors=list(authors),
        categories=["cs.LG"], published_on=dt.date(2025, 3, 17), organization=organization,
        upvotes=upvotes, feed_date=feed_date,
    )  # fmt: skip
    with db.session_scope(settings) as session:
        upsert_records(session, [record])
    return arxiv_id


def confirmation_token(settings, email: str) -> str:
    """The token of the newest sign-up request of ``email``."""
    with db.session_scope(settings) as session:
        rid = session.scalars(select(SignupRequest.id).where(SignupRequest.email == email)
                              .order_by(SignupRequest.id.desc())).first()  # fmt: skip
    assert rid is not None, f"no sign-up request for {email}"
    return signup_token(settings, rid)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ATOM_ENTRY = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv Query</title>
  <id>http://arxiv.org/api/q</id>
  <updated>2025-11-03T00:00:00-05:00</updated>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>{total}</opensearch:itemsPerPage>
  {entries}
</feed>"""

ENTRY = """<entry>
    <id>http://arxiv.org/abs/{id}v1</id>
    <updated>2025-11-03T18:00:00Z</updated>
    <published>2025-11-03T18:00:00Z</published>
    <title>{title}</title>
    <summary>  An abstract fetched from the arXiv API.
    It spans lines.</summary>
    <author><name>Grace Hopper</name></author>
    <author><name>Edsger Dijkstra</name></author>
    <link href="http://arxiv.org/abs/{id}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{id}v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""


@contextmanager
def arxiv_replay(papers: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """A real local HTTP server answering arXiv ``id_list`` queries in Atom; yields (url, log)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            ids = ",".join(query.get("id_list", [""])).split(",")
            seen.extend(ids)
            from xml.sax.saxutils import escape

            entries = [ENTRY.format(id=i, title=escape(papers[i])) for i in ids if i in papers]
            body = ATOM_ENTRY.format(total=len(entries), entries="\n".join(entries)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/query", seen
    finally:
        server.shutdown()
        server.server_close()


def make_users(settings: Settings, prefix: str, count: int) -> list[str]:
    """``count`` users sharing one password hash (hashing is slow by design); returns tokens."""
    from dailypapers.community.auth import hash_password
    from dailypapers.store.models import User

    shared = hash_password(PASSWORD)
    tokens = []
    with db.session_scope(settings) as session:
        for i in range(count):
            user = User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org",
                        password_hash=shared)  # fmt: skip
            session.add(user)
            session.flush()
            tokens.append(create_api_token(session, user.id, "test"))
    return tokens


def fresh_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the rate limiter's clock to the first second of a one-minute window nobody has
    counted in yet, for a test that must stay inside one window (time still runs)."""
    shift = 61 - time.time() % 60 + 600  # ten minutes ahead: no earlier test's window
    monkeypatch.setattr(ratelimit, "clock", lambda: time.time() + shift)
