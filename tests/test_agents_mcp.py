"""The MCP server through the SDK's own client: Streamable HTTP at /mcp (a real uvicorn) and
stdio (``dailypapers mcp`` as a subprocess), against the bundled demo corpus.

The demo corpus is loaded once per module into its own SQLite database (about 2,700 papers);
the read paths it exercises are the feed and search code tested on PostgreSQL elsewhere.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import types as pytypes
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from dailypapers.agents import build_server
from dailypapers.agents.schema import count_tokens, tool_list_json
from dailypapers.config import Settings
from dailypapers.store import db
from tests.community_fixtures import make_user
from tests.conftest import TEST_SECRET, _free_port

TOOL_BUDGET = 1500
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    """Settings over a database holding the demo corpus, and a user's API token."""
    from dailypapers.ingest.sample import load_sample

    folder = tmp_path_factory.mktemp("mcp-demo")
    settings = Settings(data_dir=folder, secret_key=TEST_SECRET, base_url="http://testserver",
                        embed_on_import=False, rate_limit_enabled=False)  # fmt: skip
    db.upgrade(settings)
    load_sample(settings)
    _, token = make_user(settings, "agent")
    yield settings, token
    db._engine_for.cache_clear()


@pytest.fixture(scope="module")
def server_url(demo: tuple[Settings, str]) -> Iterator[str]:
    import uvicorn

    from dailypapers.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(demo[0]), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(10)


def _http(url: str, token: str | None = None, mode: str = "auto") -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
    return Client(transport, mode=mode)


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content)


def _some_paper(settings: Settings) -> str:
    from sqlalchemy import select

    from dailypapers.store.models import Paper

    with db.session_scope(settings) as s:
        return s.scalar(select(Paper.id).where(Paper.arxiv_id.is_not(None)).limit(1))


async def _call_every_tool(client: Client, paper_id: str) -> dict[str, Any]:
    calls = {
        "daily_papers": {"limit": 3},
        "search_papers": {"query": "diffusion", "mode": "keyword", "limit": 3},
        "get_paper": {"id": paper_id},
        "similar_papers": {"id": paper_id, "limit": 3},
        "for_you": {"limit": 3},
        "library_list": {},
        "library_add": {"id": paper_id},
        "follow": {"kind": "author", "value": "Ada Lovelace"},
    }
    return {name: await client.call_tool(name, args) for name, args in calls.items()}


def _check_read_results(results: dict[str, Any], paper_id: str) -> None:
    daily = _text(results["daily_papers"])
    assert not results["daily_papers"].is_error
    assert daily.startswith("day ") and len(daily.splitlines()) >= 4  # header + 3 papers
    assert "diffusion" in _text(results["search_papers"]).lower()
    paper = _text(results["get_paper"])
    assert paper.startswith("# ") and "## Abstract" in paper
    similar = _text(results["similar_papers"])
    assert similar.startswith(f"similar to {paper_id}") and len(similar.splitlines()) == 4
    for name in ("for_you", "library_list", "library_add", "follow"):  # token given: not a 401
        assert "API token" not in _text(results[name]), name


def test_http_lists_tools_within_budget_and_calls_every_tool(
    demo: tuple[Settings, str], server_url: str
) -> None:
    settings, token = demo
    paper_id = _some_paper(settings)

    async def main() -> tuple[Any, dict[str, Any]]:
        async with _http(server_url, token) as client:
            return await client.list_tools(), await _call_every_tool(client, paper_id)

    listed, results = anyio.run(main)
    names = [t.name for t in listed.tools]
    assert names == ["daily_papers", "search_papers", "get_paper", "similar_papers", "for_you",
                     "library_list", "library_add", "follow"]  # fmt: skip
    wire = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
    assert all(t["inputSchema"]["additionalProperties"] is False for t in wire)
    tokens = count_tokens(tool_list_json(wire))
    print(f"tool list: {tokens} cl100k tokens")
    assert tokens < TOOL_BUDGET
    _check_read_results(results, paper_id)


def test_http_legacy_handshake_clients_work(demo: tuple[Settings, str], server_url: str) -> None:
    async def main() -> Any:
        async with _http(server_url, mode="legacy") as client:
            return await client.call_tool("daily_papers", {"sort": "trending", "limit": 2})

    result = anyio.run(main)
    assert not result.is_error and "sort=trending" in _text(result)


@pytest.mark.parametrize(("name", "args", "message"), [
    ("daily_papers", {"limit": 500}, "limit: Input should be less than or equal to 100"),
    ("daily_papers", {"colour": "red"}, "colour: unknown argument"),
    ("daily_papers", {"date": "2025-02-30"}, "2025-02-30"),
    ("daily_papers", {"date": "2025-03-18", "week": "2025-W12"}, "at most one of date"),
    ("search_papers", {}, "query: Field required"),
    ("search_papers", {"query": "x", "mode": "magic"}, "mode: Input should be"),
    ("search_papers", {"query": "since:2025-99"}, "query:"),
    ("get_paper", {"id": "9999.99999"}, "No paper with id '9999.99999'"),
    ("similar_papers", {"id": "not an id"}, "No paper with id"),
    ("follow", {"kind": "planet", "value": "Mars"}, "kind: Input should be"),
    ("no_such_tool", {}, "Unknown tool 'no_such_tool'"),
])  # fmt: skip
def test_bad_arguments_get_one_clear_line(
    demo: tuple[Settings, str], server_url: str, name: str, args: dict, message: str
) -> None:
    async def main() -> Any:
        async with _http(server_url, demo[1]) as client:
            return await client.call_tool(name, args)

    result = anyio.run(main)
    text = _text(result)
    assert result.is_error and message in text
    assert "Traceback" not in text and "\n" not in text


@pytest.mark.parametrize("tool", ["for_you", "library_list", "library_add", "follow"])
@pytest.mark.parametrize("token", [None, "dp_not-a-real-token"])
def test_personal_tools_need_a_valid_token(
    demo: tuple[Settings, str], server_url: str, tool: str, token: str | None
) -> None:
    args = {"library_add": {"id": "2503.01234"}, "follow": {"kind": "org", "value": "X"}}

    async def main() -> Any:
        async with _http(server_url, token) as client:
            return await client.call_tool(tool, args.get(tool, {}))

    result = anyio.run(main)
    assert result.is_error
    expected = "needs your API token" if token is None else "invalid or revoked"
    assert expected in _text(result)


def test_resources_paper_and_daily_feed(demo: tuple[Settings, str], server_url: str) -> None:
    from mcp.shared.exceptions import MCPError

    paper_id = _some_paper(demo[0])

    async def main() -> tuple[Any, ...]:
        async with _http(server_url) as client:
            listed = await client.list_resources()
            templates = await client.list_resource_templates()
            paper = await client.read_resource(f"paper://{paper_id}")
            feed = await client.read_resource("feed://daily")
            with pytest.raises(MCPError, match="No paper"):
                await client.read_resource("paper://9999.99999")
            return listed, templates, paper, feed

    listed, templates, paper, feed = anyio.run(main)
    assert [str(r.uri) for r in listed.resources] == ["feed://daily"]
    assert {t.uri_template for t in templates.resource_templates} == {
        "paper://{id}",
        "feed://daily/{date}",
    }
    assert paper.contents[0].text.startswith("# ")
    assert paper.contents[0].mime_type == "text/markdown"
    day = feed.contents[0].text.split()[1].rstrip(":")

    async def by_date() -> Any:
        async with _http(server_url) as client:
            return await client.read_resource(f"feed://daily/{day}")

    assert anyio.run(by_date).contents[0].text == feed.contents[0].text


def test_foreign_host_header_is_refused(server_url: str) -> None:
    """DNS-rebinding protection: a request whose Host is not this site is refused."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-06-18"}  # fmt: skip
    evil = httpx.post(server_url, json=body, headers=headers | {"Host": "evil.example"})
    assert evil.status_code == 421
    fine = httpx.post(server_url, json=body, headers=headers)
    assert fine.status_code == 200 and "daily_papers" in fine.text


def test_stdio_transport_calls_every_tool(demo: tuple[Settings, str]) -> None:
    settings, token = demo
    paper_id = _some_paper(settings)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1",
           "DAILYPAPERS_DATA_DIR": str(settings.data_dir), "DAILYPAPERS_SECRET_KEY": TEST_SECRET,
           "DAILYPAPERS_TOKEN": token, "DAILYPAPERS_CONFIG_FILE": "/nonexistent"}  # fmt: skip
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", "from dailypapers.cli.main import main; main()", "mcp"],
        env=env,
    )

    async def main() -> tuple[Any, dict[str, Any], Any]:
        async with Client(params) as client:
            listed, results = await client.list_tools(), await _call_every_tool(client, paper_id)
            return listed, results, await client.call_tool("daily_papers", {"limit": 0})

    listed, results, bad = anyio.run(main)
    assert len(listed.tools) == 8
    _check_read_results(results, paper_id)
    assert bad.is_error and "limit: Input should be greater than or equal to 1" in _text(bad)


def test_personal_tools_light_up_when_library_and_foryou_exist(
    demo: tuple[Settings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adapters call the library / For you packages once they are installed."""
    from dailypapers.store.queries.papers import papers_by_ids

    settings, token = demo
    paper_id = _some_paper(settings)
    calls: list[tuple] = []
    ns = pytypes.SimpleNamespace

    def papers_by_ids_of(pid: str) -> Any:
        with db.session_scope(settings) as s:
            return papers_by_ids(s, [pid])[0]

    def module(name: str, **attrs: Any) -> None:
        fake = pytypes.ModuleType(name)
        fake.__dict__.update(attrs)
        monkeypatch.setitem(sys.modules, name, fake)

    module(
        "dailypapers.store.queries.library",
        LibraryFilter=ns,
        library_page=lambda s, uid, f: ([ns(item=i) for i in papers_by_ids(s, [paper_id])], 1),
    )
    module("dailypapers.library.collections", get_collection=lambda s, uid, name: ns(id=1))
    module(
        "dailypapers.library.saves",
        save_paper=lambda s, uid, pid, collection=None, source="web": calls.append(
            ("save", pid, collection, source)
        ),
    )
    module(
        "dailypapers.library.follows",
        follow=lambda s, uid, kind, value: (calls.append(("follow", kind, value)), True),
    )
    entry = ns(item=papers_by_ids_of(paper_id), score=0.9, reasons=["you follow Ada"])
    module(
        "dailypapers.foryou.personal",
        page=lambda s, uid, start, end, model, limit: ns(entries=[entry], total=1, cold=False),
    )

    async def main() -> dict[str, Any]:
        async with Client(build_server(settings, token=token)) as client:
            return await _call_every_tool(client, paper_id)

    results = anyio.run(main)
    assert "you follow Ada" in _text(results["for_you"])
    assert paper_id in _text(results["library_list"])
    assert _text(results["library_add"]) == f"saved {paper_id} to your Reading list"
    assert _text(results["follow"]) == "now following author 'Ada Lovelace'"
    assert calls == [("save", paper_id, None, "api"), ("follow", "author", "Ada Lovelace")]


def test_personal_writes_are_rate_limited(
    demo: tuple[Settings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = pytypes.ModuleType("dailypapers.library.follows")
    fake.follow = lambda s, uid, kind, value: (None, True)
    monkeypatch.setitem(sys.modules, "dailypapers.library.follows", fake)
    seen: list[tuple[str, int]] = []

    def limiter(key: str, per_minute: int) -> int | None:
        seen.append((key, per_minute))
        return 42 if len(seen) > 1 else None

    server = build_server(demo[0], token=demo[1], limiter=limiter)

    async def main() -> list[Any]:
        async with Client(server) as client:
            args = {"kind": "category", "value": "cs.LG"}
            return [await client.call_tool("follow", args) for _ in range(2)]

    first, second = anyio.run(main)
    assert not first.is_error and second.is_error
    assert _text(second) == "Too many writes; try again in 42 s."
    assert seen[0][0].startswith("mcp-write:u:") and seen[0][1] == 30
