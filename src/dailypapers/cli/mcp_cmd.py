"""``dailypapers mcp``: the MCP server on standard input/output, for desktop agents."""

from __future__ import annotations

import os

import anyio
import typer

from dailypapers.config import get_settings
from dailypapers.store import db


def mcp(
    list_tools: bool = typer.Option(
        False, "--list-tools", help="Print the tool list (JSON, as clients receive it) and exit."
    ),
) -> None:
    """Serve the MCP tools and resources over stdio (agents such as Claude Desktop start it).

    Personal tools (for_you, library_list, library_add, follow) act for the owner of the API
    token in DAILYPAPERS_TOKEN. Nothing but the protocol is written to standard output.

    Example: DAILYPAPERS_TOKEN=dp_... dailypapers mcp
    """
    from dailypapers.agents import run_stdio, tool_definitions

    if list_tools:
        from dailypapers.agents.schema import tool_list_json

        tools = [t.model_dump(by_alias=True, exclude_none=True) for t in tool_definitions()]
        typer.echo(tool_list_json(tools))
        return
    settings = get_settings()
    db.ensure_schema(settings)
    anyio.run(run_stdio, settings, os.environ.get("DAILYPAPERS_TOKEN") or None)


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)
