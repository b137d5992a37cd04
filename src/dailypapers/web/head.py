"""``HEAD`` for every ``GET`` route: answered as the ``GET``, headers only.

FastAPI routes list ``GET`` alone, so without this a ``HEAD`` (link checkers, monitors,
``curl -I``) gets 405. The request runs as a ``GET`` and its body is dropped on the way out;
``Content-Length`` stays that of the ``GET``, as RFC 9110 allows.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        scope["method"] = "GET"  # in place: outer middleware reads the matched route from it
        await self.app(scope, receive, headers_only)
