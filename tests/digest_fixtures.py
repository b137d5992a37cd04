"""A real SMTP server for tests (aiosmtpd on loopback) that records mail and injects failures.

``smtp_server`` yields an :class:`SmtpServer`; point settings at it with ``server.settings(s)``.
Failures are armed on the handler: ``greylist`` (4xx on the next N recipients), ``reject``
(5xx for some addresses), ``drop`` (close the connection on the next N messages), ``delay``
(seconds to wait before accepting each sender, which makes a run observable half-way).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from dailypapers.config import Settings
from dailypapers.store import db
from dailypapers.store.models import Subscription
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord


@dataclass
class Received:
    """One accepted mail: envelope and the parsed message (``raw`` keeps the exact bytes)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    greylist: int = 0
    reject: set[str] = field(default_factory=set)
    drop: int = 0
    delay: float = 0.0
    mail_commands: int = 0
    waiting_in_mail: int = 0  # clients held by ``delay`` right now
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.mail_commands += 1
            self.waiting_in_mail += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            with self.lock:
                self.waiting_in_mail -= 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 No such user here"
        with self.lock:
            if self.greylist > 0:
                self.greylist -= 1
                return "450 4.2.0 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.drop > 0:
                self.drop -= 1
                server.transport.close()
                return "421 closing"
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=default_policy)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw,
                                          message))  # fmt: skip
        return "250 Message accepted for delivery"


class SmtpServer:
    """The running server: its port, handler and helpers to read what arrived."""

    def __init__(self, controller: Controller, handler: Handler, port: int) -> None:
        self.controller, self.handler, self.port = controller, handler, port

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def settings(self, base: Settings, **extra: object) -> Settings:
        """``base`` pointed at this server, with fast retries for tests."""
        values = {"smtp_host": "127.0.0.1", "smtp_port": self.port, "mail_retry_backoff_seconds":
                  0.05, "mail_rate_per_minute": 100_000, **extra}  # fmt: skip
        return base.model_copy(update=values)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[SmtpServer]:
    """A recording SMTP server on a free loopback port (import this name; use ``smtp_server``)."""
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, decode_data=False,
                            enable_SMTPUTF8=True)  # fmt: skip
    controller.start()
    yield SmtpServer(controller, handler, port)
    controller.stop()


smtp_server = smtp_server_fixture  # for modules that import the fixture by its own name


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def add_papers(settings: Settings, day: dt.date, specs: list[dict]) -> list[str]:
    """Store papers in the feed of ``day``; each spec overrides ``PaperRecord`` fields."""
    records = []
    for n, spec in enumerate(specs):
        values = {"title": f"Paper {day} {n}", "abstract": "An abstract.", "authors": ["A. B"],
                  "categories": ["cs.LG"], "feed_date": day, "published_on": day,
                  **spec}  # fmt: skip
        records.append(PaperRecord(**values))
    with db.session_scope(settings) as session:
        upsert_records(session, records)
    return [r.id for r in records]


def add_subscribers(settings: Settings, emails: list[str], topics: list[str] | None = None,
                    frequency: str = "daily") -> list[int]:  # fmt: skip
    """Confirmed subscribers, inserted directly (the opt-in flow has its own tests)."""
    with db.session_scope(settings) as session:
        subs = [Subscription(email=e, frequency=frequency, topics=list(topics or []),
                             status="confirmed") for e in emails]  # fmt: skip
        session.add_all(subs)
        session.flush()
        return [s.id for s in subs]
