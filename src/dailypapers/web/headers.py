"""Security headers on every response (pages, API, feeds, static files): a pure ASGI middleware.

The site's pages run no inline script and no inline style (scripts and styles are files under
``/static``), so the Content Security Policy allows only the site's own files: an injected
``<script>`` or ``onclick=`` would not run even if escaping ever failed. Nothing may frame a
page (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), so the upvote, token and claim
forms cannot be click-jacked. ``/docs`` and ``/redoc`` (FastAPI's Swagger UI and ReDoc) start
with an inline script and may load their assets from a CDN, so they get a looser policy of their
own; they show only the OpenAPI schema. HSTS is sent in production only (development runs on
plain http, where a browser would remember it for the whole host).

A header a route has set itself is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])  # fmt: skip
# Swagger UI / ReDoc: their HTML carries an inline bootstrap script; assets may come from the
# jsDelivr CDN unless served from /static (FastAPI's default pages use both).
DOCS_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
    "img-src 'self' data: https:",
    "font-src 'self' data: https://fonts.gstatic.com",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])  # fmt: skip
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
HSTS = "max-age=31536000; includeSubDomains"

COMMON: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Same-site pages get the full referrer (the log-in redirect uses it); other sites get
    # nothing, so the tokens in manage, unsubscribe and password-reset URLs never leak.
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def headers_for(path: str, *, hsts: bool) -> list[tuple[str, str]]:
    """The security headers of a response to ``path``."""
    csp = DOCS_CSP if path in DOCS_PATHS else CSP
    extra = [("Strict-Transport-Security", HSTS)] if hsts else []
    return [("Content-Security-Policy", csp), *COMMON, *extra]


class SecurityHeadersMiddleware:
    """Add :func:`headers_for` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = headers_for(scope.get("path", ""), hsts=self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
