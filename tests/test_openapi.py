"""The OpenAPI document covers every API route, with descriptions, types, errors and the
Bearer scheme; /docs and /redoc render from local assets (no CDN) and can be switched off."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from dailypapers.web.app import create_app
from dailypapers.web.openapi import api_routes
from tests.browser import MARKS, page_fixture  # noqa: F401  (the Chromium fixture)

EXTERNAL = re.compile(r"""(?:src|href)=["']?(https?:)?//""")


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, ops in schema["paths"].items()
            for method, op in ops.items()]  # fmt: skip


def test_every_api_route_is_in_the_schema(app, client):
    schema = client.get("/openapi.json").json()
    documented = {(path, method.upper()) for path, method, _ in _operations(schema)}
    for route in api_routes(app):
        for method in route.methods - {"HEAD"}:
            if route.include_in_schema:
                assert (route.path_format, method) in documented, route.path_format
            else:  # only HTML pages and form posts stay out of the API documentation
                assert not route.path_format.startswith("/api/"), route.path_format


def test_every_operation_is_described_typed_and_lists_its_errors(client):
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, method, op in _operations(schema):
        where = f"{method.upper()} {path}"
        assert op.get("description"), f"{where} has no description"
        ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
        content = ok.get("content", {})
        assert content, f"{where} documents no response body"
        for media, body in content.items():
            if media == "application/json":
                assert body.get("schema", {}) not in ({}, {"type": "object"}), where
        for status, response in op["responses"].items():
            if status[0] in "45" and status != "503":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ApiError"), where
        if op.get("security"):
            assert "401" in op["responses"], where
        if "{" in path and path != "/api/subscriptions/{token}" and path.startswith("/api/"):
            assert "404" in op["responses"], f"{where} can answer 404"


def test_write_routes_require_the_bearer_scheme(client):
    schema = client.get("/openapi.json").json()
    for path, method, op in _operations(schema):
        writes = method in ("post", "put", "patch", "delete")
        if writes and path.startswith("/api/") and not path.startswith("/api/subscriptions"):
            assert op.get("security") == [{"bearer": []}], f"{method} {path}"


def test_docs_pages_use_only_local_assets(client):
    for url in ("/docs", "/redoc"):
        page = client.get(url)
        assert page.status_code == 200
        assert not EXTERNAL.search(page.text), f"{url} loads something from another site"
        for asset in re.findall(r"""(?:src|href)=["']?(/docs-assets/[^"' >]+)""", page.text):
            assert client.get(asset).status_code == 200, asset


def test_docs_can_be_hidden(settings):
    hidden = create_app(settings.model_copy(update={"api_docs": False}))
    with TestClient(hidden) as client:
        for url in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(url).status_code == 404, url
        assert 'href="/docs"' not in client.get("/").text


def _browser(test):
    for mark in MARKS:
        test = mark(test)
    return test


@_browser
def test_swagger_ui_renders_offline(live_server, page):
    outside: list[str] = []

    def only_local(route):  # every request off the test server fails, as without internet
        if route.request.url.startswith(live_server):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/daily_papers" in p for p in paths)
    assert page.locator(".btn.authorize").count() == 1  # the Bearer scheme's Authorize button
    assert outside == []
