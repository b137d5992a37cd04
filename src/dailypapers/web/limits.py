"""Input limits that hold for every route, checked once before any route runs (issue 14).

- **NUL characters** are refused with a 400 wherever they appear: path, query string, form
  fields or JSON strings. No text the site stores or searches may contain one (PostgreSQL's
  ``text`` cannot hold it, which made such requests fail with a 500 there), so refusing them
  at the door is simpler and safer than cleaning them in every field.
- **Request bodies** larger than ``MAX_BODY_BYTES`` get a 413: forms and JSON here are small.

A pure ASGI middleware: the body is read (at most ``MAX_BODY_BYTES``) and handed on unchanged.
Out-of-range numbers are refused where they are declared (``web.deps.DbId`` for database ids,
``le=`` bounds on page numbers) and out-of-range dates in ``feed.windows``.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.web.errors import json_errors

MAX_BODY_BYTES = 1024 * 1024
NUL_MESSAGE = "Text may not contain NUL characters (\\u0000 or %00); remove them and try again."
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# ``\u0000`` in JSON text, unless its backslash is itself escaped (``\\u0000`` is plain text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _url_has_nul(scope: Scope) -> bool:
    path = scope.get("raw_path") or scope.get("path", "").encode()
    query: bytes = scope.get("query_string", b"")
    return any(b"\x00" in part or b"%00" in part for part in (path, query))


def _body_has_nul(body: bytes, content_type: str) -> bool:
    if b"\x00" in body:
        return True
    if content_type.startswith("application/x-www-form-urlencoded"):
        return b"%00" in body
    if "json" in content_type:
        return _JSON_NUL.search(body) is not None
    return False


async def _refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    request_headers = {k.lower(): v for k, v in scope.get("headers", [])}
    accept = request_headers.get(b"accept", b"").decode("latin-1")
    if json_errors(scope.get("path", ""), accept):  # as the app's own errors (web/errors.py)
        body, kind = json.dumps({"error": message}).encode(), b"application/json"
    else:
        body, kind = f"{status} \u2013 {message}\n".encode(), b"text/plain; charset=utf-8"
    length = str(len(body)).encode()
    response_headers = [(b"content-type", kind), (b"content-length", length)]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})


class InputLimitsMiddleware:
    """Refuse NUL characters anywhere in a request (400) and oversized bodies (413)."""

    def __init__(
        self, app: ASGIApp, *, max_body: int = MAX_BODY_BYTES, uploads: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.uploads = uploads or {}  # path -> its own limit (file uploads, e.g. library import)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _url_has_nul(scope):
            await _refuse(scope, send, 400, NUL_MESSAGE)
            return
        if scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.uploads.get(scope.get("path", ""), self.max_body)
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await _refuse(scope, send, 413, f"The request body exceeds {limit} bytes.")
                return
            if not message.get("more_body", False):
                break
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        if _body_has_nul(body, content_type.lower()):
            await _refuse(scope, send, 400, NUL_MESSAGE)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body over once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
