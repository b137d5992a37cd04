"""Agent access: an MCP server over the feed, search, papers and the user's library.

``build_server`` makes the server; ``http_app`` serves it at ``/mcp`` on the site (stateless
Streamable HTTP); ``run_stdio`` serves it to a desktop agent (``dailypapers mcp``). Tool
bodies live in ``tools`` and import nothing from the web layer.
"""

from dailypapers.agents.server import build_server, read_resource_text, tool_definitions
from dailypapers.agents.tools import TOOLS, ToolContext, ToolSpec
from dailypapers.agents.transports import http_app, run_stdio, transport_security

__all__ = [
    "TOOLS",
    "ToolContext",
    "ToolSpec",
    "build_server",
    "http_app",
    "read_resource_text",
    "run_stdio",
    "tool_definitions",
    "transport_security",
]
