"""The MCP server (official SDK, low-level ``Server``): tools, resources, and both transports.

The low-level server is used rather than ``MCPServer`` because its tool list is exactly what
we write: compact closed schemas (see ``schema.py``), arguments validated by the same pydantic
models that produce the schemas, and errors returned as one readable line.

* Streamable HTTP: :func:`http_app` is an ASGI app for ``/mcp`` on the site's app. It is
  stateless (a fresh session manager per request, JSON responses), so any web worker answers
  any request; the caller is whoever the request's ``Authorization: Bearer dp_…`` names.
* stdio: :func:`run_stdio` for ``dailypapers mcp``; the caller is ``DAILYPAPERS_TOKEN``'s owner.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Mapping
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from pydantic import ValidationError

from dailypapers import __version__
from dailypapers.agents.render import paper_list
from dailypapers.agents.tools import BY_NAME, TOOLS, Limiter, ToolContext, paper_markdown, window_of
from dailypapers.community.auth import user_for_token
from dailypapers.config import Settings
from dailypapers.errors import DomainError, Invalid, NotFound
from dailypapers.store import db
from dailypapers.store.queries.feed import count_feed, default_window, list_feed
from dailypapers.store.queries.papers import get_paper

INSTRUCTIONS = (
    "Research papers: daily feed, search, paper Markdown, similar papers; with an API token "
    "also For you, library and follows. Paper ids are arXiv ids such as 2503.01234."
)
FEED_LIMIT = 100


def tool_definitions() -> list[types.Tool]:
    """The tool list exactly as ``tools/list`` returns it."""
    return [
        types.Tool(name=t.name, description=t.description, input_schema=t.schema) for t in TOOLS
    ]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def _problems(name: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        msg = "unknown argument" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{where}: {msg}")
    return f"Invalid arguments for {name}: " + "; ".join(parts)


def _bearer(headers: Mapping[str, str] | None) -> str | None:
    value = (headers or {}).get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _run_tool(settings: Settings, name: str, args: Any, token: str | None,
              limiter: Limiter | None) -> types.CallToolResult:  # fmt: skip
    """Run one tool in one session (the transaction is this call's: commit after a write)."""
    spec = BY_NAME[name]
    with db.session_factory(settings)() as session:
        owner = user_for_token(session, token) if token else None
        user = owner.user if owner else None
        ctx = ToolContext(settings, session, user, token_given=token is not None, limiter=limiter)
        try:
            text = spec.body(ctx, args)
        except DomainError as exc:
            session.rollback()
            return _error(exc.message)
        if spec.writes:
            session.commit()
    return types.CallToolResult(content=[types.TextContent(text=text)])


def _feed_text(settings: Settings, date: str | None) -> str:
    with db.session_factory(settings)() as session:
        window = window_of(date, None, None) or default_window(session)
        total = count_feed(session, window)
        items = list_feed(session, window, limit=FEED_LIMIT)
        rest = total - len(items)
        more = f"({rest} more: use the daily_papers tool)" if rest > 0 else None
        return paper_list(f"{window.kind} {window.key}: {total} papers", items, more)


def _paper_text(settings: Settings, paper_id: str) -> str:
    with db.session_factory(settings)() as session:
        item = get_paper(session, paper_id)
        if item is None:
            raise NotFound(f"No paper with id {paper_id!r} here.")
        return paper_markdown(settings, item)


def read_resource_text(settings: Settings, uri: str) -> tuple[str, str]:
    """(text, MIME type) of ``paper://{id}``, ``feed://daily`` or ``feed://daily/{date}``."""
    parts = urllib.parse.urlsplit(uri)
    path = urllib.parse.unquote(parts.netloc + parts.path)
    if parts.scheme == "paper" and path:
        return _paper_text(settings, path), "text/markdown"
    if parts.scheme == "feed" and (path == "daily" or path.startswith("daily/")):
        date = path.removeprefix("daily").strip("/") or None
        return _feed_text(settings, date), "text/plain"
    raise NotFound(f"Unknown resource {uri!r}; try paper://2503.01234 or feed://daily.")


def build_server(settings: Settings, *, token: str | None = None,
                 limiter: Limiter | None = None) -> Server[Any]:  # fmt: skip
    """The MCP server. ``token``: the stdio caller's API token (HTTP reads each request's)."""
    tools = tool_definitions()

    async def list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = BY_NAME.get(params.name)
        if spec is None:
            return _error(f"Unknown tool {params.name!r}; tools: {', '.join(BY_NAME)}.")
        try:
            args = spec.args.model_validate(params.arguments or {})
        except ValidationError as exc:
            return _error(_problems(spec.name, exc))
        caller = _bearer(getattr(ctx.request, "headers", None)) if ctx.request else token
        run = functools.partial(_run_tool, settings, spec.name, args, caller, limiter)
        return await anyio.to_thread.run_sync(run)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourcesResult:
        daily = types.Resource(uri="feed://daily", name="daily", mime_type="text/plain",
                               description="Latest day of the daily feed.")  # fmt: skip
        return types.ListResourcesResult(resources=[daily])

    async def list_templates(
        ctx: ServerRequestContext[Any], params: Any
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[
            types.ResourceTemplate(uri_template="paper://{id}", name="paper",
                                   mime_type="text/markdown", description="A paper as Markdown."),
            types.ResourceTemplate(uri_template="feed://daily/{date}", name="daily-by-date",
                                   mime_type="text/plain", description="Feed of one day."),
        ])  # fmt: skip

    async def read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text, mime = await anyio.to_thread.run_sync(read_resource_text, settings, uri)
        except (NotFound, Invalid) as exc:
            from mcp.shared.exceptions import MCPError

            raise MCPError(code=types.INVALID_PARAMS, message=exc.message) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, text=text, mime_type=mime)]
        )

    return Server(
        "dailypapers", version=__version__, instructions=INSTRUCTIONS,
        on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
        on_list_resource_templates=list_templates, on_read_resource=read_resource,
    )  # fmt: skip
