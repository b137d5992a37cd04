"""The two MCP transports: stateless Streamable HTTP (an ASGI app) and stdio."""

from __future__ import annotations

import urllib.parse
from typing import Any

from mcp.server import Server
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from dailypapers.agents.server import build_server
from dailypapers.agents.tools import Limiter
from dailypapers.config import Settings

_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection: the Host and Origin headers must name this site.

    Allowed: the host of ``DAILYPAPERS_BASE_URL``, loopback names (any port) and the names in
    ``DAILYPAPERS_MCP_ALLOWED_HOSTS``. A browser page on another site cannot drive ``/mcp``
    through a DNS name that resolves to this server.
    """
    base = urllib.parse.urlsplit(settings.base_url)
    hosts = {base.netloc, base.hostname or ""} | set(settings.mcp_allowed_hosts)
    hosts |= {f"{h}:*" for h in _LOOPBACK} | set(_LOOPBACK)
    origins = {f"{base.scheme}://{base.netloc}"} | {f"http://{h}:*" for h in _LOOPBACK}
    origins |= {f"https://{h}" for h in settings.mcp_allowed_hosts}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(h for h in hosts if h),
        allowed_origins=sorted(origins),
    )


class StatelessMcpApp:
    """ASGI app for ``/mcp``: each request runs in its own session manager, so no state is
    kept between requests and any web worker can answer (the SDK's stateless mode)."""

    def __init__(self, server: Server[Any], security: TransportSecuritySettings) -> None:
        self.server = server
        self.security = security

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        manager = StreamableHTTPSessionManager(
            app=self.server, stateless=True, json_response=True, security_settings=self.security
        )
        async with manager.run():
            await manager.handle_request(scope, receive, send)


def http_app(settings: Settings, limiter: Limiter | None = None) -> StatelessMcpApp:
    """The ``/mcp`` endpoint for the site's app (``limiter`` counts personal writes)."""
    return StatelessMcpApp(build_server(settings, limiter=limiter), transport_security(settings))


async def run_stdio(settings: Settings, token: str | None) -> None:
    """Serve MCP on standard input/output until the client closes it."""
    server = build_server(settings, token=token)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
