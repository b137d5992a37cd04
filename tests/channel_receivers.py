"""A real local HTTP server that answers as Slack, Mattermost, Discord, ntfy,
Matrix and generic-webhook endpoints do, with scripted failures, for the channel tests.

Every request that carries a message is recorded as an attempt; those answered 2xx are the
delivered messages. A *plan* per path token scripts answers (429 with ``Retry-After``, 500,
404, a hang longer than the client's timeout) before the normal answer. ``hold_after(n)``
keeps every message request after the n-th delivered one waiting (for the SIGKILL test): a
held request whose client has gone away is not delivered, as with a real service that drops
a request when the connection is lost before it answers.
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (a timeout for the client)


@dataclass
class Attempt:
    kind: str
    token: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


_MESSAGE_ROUTES = [
    ("mattermost", "POST", re.compile(r"^/hooks/(?P<token>[\w-]+)$")),
    ("slack", "POST", re.compile(r"^/services/\w+/\w+/(?P<token>\w+)$")),
    ("discord", "POST", re.compile(r"^/api/webhooks/\d+/(?P<token>[\w-]+)")),
    ("matrix", "PUT",
     re.compile(r"^/_matrix/client/v3/rooms/(?P<token>[^/]+)/send/m\.room\.message/")),
    ("webhook", "POST", re.compile(r"^/webhook/(?P<token>[\w-]+)$")),
    ("ntfy", "POST", re.compile(r"^/(?P<token>[\w-]*)$")),
]  # fmt: skip


class Receiver:
    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.plans: dict[str, list[Reply]] = {}
        self.lock = threading.Lock()
        self.held = 0
        self._hold_after: int | None = None
        self._release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def plan(self, token: str, *replies: Reply) -> None:
        self.plans[token] = list(replies)

    def delivered(self, token: str | None = None) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts
                    if 200 <= a.status < 300 and (token is None or a.token == token)]  # fmt: skip

    def tried(self, token: str) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.token == token]

    def hold_after(self, count: int) -> None:
        self._hold_after = count
        self._release.clear()

    def release(self) -> None:
        self._hold_after = None
        self._release.set()

    def _next_reply(self, token: str) -> Reply:
        with self.lock:
            queue = self.plans.get(token)
            return queue.pop(0) if queue else Reply()

    def _must_hold(self) -> bool:
        with self.lock:
            if self._hold_after is None:
                return False
            ok = sum(1 for a in self.attempts if 200 <= a.status < 300)
            if ok >= self._hold_after:
                self.held += 1
                return True
            return False


def _peer_gone(conn: socket.socket) -> bool:
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _handler(rx: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, payload: object = None, headers: dict | None = None) -> None:
            raw = isinstance(payload, bytes)
            data = payload if raw else b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if data:
                self.send_header("Content-Type", "text/plain" if raw else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            body = self._body()
            for kind, verb, pattern in _MESSAGE_ROUTES:
                match = pattern.match(path)
                if verb == method and match:
                    token = match["token"] or json.loads(body or b"{}").get("topic", "")
                    return self._message(kind, token, path, body)
            return self._matrix_setup(method, path)

        def _message(self, kind: str, token: str, path: str, body: bytes) -> None:
            if rx._must_hold():
                rx._release.wait(60)
                if _peer_gone(self.connection):
                    self.close_connection = True
                    return
            reply = rx._next_reply(token)
            with rx.lock:
                rx.attempts.append(Attempt(kind, token, path, reply.status,
                                           dict(self.headers.items()), body))  # fmt: skip
            if reply.hang:
                time.sleep(reply.hang)
            ok = 200 <= reply.status < 300
            payload = {
                "mattermost": b"ok", "discord": None, "webhook": {"ok": True}, "slack": b"ok",
                "ntfy": {"id": "x1", "event": "message", "time": int(time.time())},
                "matrix": {"event_id": "$evt"},
            }[kind] if ok else {"message": "scripted failure", "errcode": "M_UNKNOWN"}  # fmt: skip
            status = 204 if ok and kind == "discord" else reply.status
            self._send(status, payload, reply.headers)

        def _matrix_setup(self, method: str, path: str) -> None:
            if path.endswith("/account/whoami"):
                return self._send(200, {"user_id": "@bot:localhost", "device_id": "DEV"})
            if "/join/" in path:
                room = path.rsplit("/join/", 1)[1]
                from urllib.parse import unquote

                return self._send(200, {"room_id": unquote(room)})
            if path.endswith("/joined_rooms"):
                return self._send(200, {"joined_rooms": []})
            return self._send(404, {"errcode": "M_NOT_FOUND", "error": "Not found"})

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_GET(self) -> None:
            self._route("GET")

    return Handler


@contextmanager
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rx))
    server.daemon_threads = True
    rx.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rx
    finally:
        rx.release()
        server.shutdown()
        server.server_close()
