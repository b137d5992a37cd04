"""Hostile input on every route never gets a 500 (issue 14): NUL bytes, out-of-range ids,
far-future and far-past dates, weeks and months, huge page numbers, on SQLite and PostgreSQL.

The property test walks ``app.routes``: for each operation Hypothesis fills path, query, JSON
body and form fields with such values, with and without an administrator's API token, and
asserts the answer is below 500. The named cases below pin the audit's reproductions.
"""

from __future__ import annotations

import os
import string
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dailypapers.web.app import ROUTERS
from tests.community_fixtures import add_paper, arxiv_replay, bearer, make_user

PAPER = "2503.40001"
INTS = [0, -1, 1, 2**31 - 1, 2**31, 2**32, 2**53, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1]
STRINGS = [
    "a\x00b", "\x00", "%00", "9999-12-31", "0001-01-01", "10000-01-01", "2025-02-30",
    "9999-W52", "9999-W53", "0001-W01", "2025-W60", "9999-12", "0001-01", "0000-00",
    "1e309", "NaN", "-1", "x" * 3000, "../../etc/passwd", "<script>alert(1)</script>", "💥",
    " ", "", "2147483648", "9223372036854775808",
]  # fmt: skip
EXAMPLES = int(os.environ.get("DAILYPAPERS_FUZZ_EXAMPLES", "6"))
EXTRA_QUERY = ["date", "week", "month", "p", "page", "limit", "submitter", "sort", "q"]


def _params(dependant: Any, kind: str) -> list[Any]:
    found = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        found += _params(sub, kind)
    return found


def operations() -> list[tuple[str, APIRoute]]:
    ops = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                ops += [(method, route) for method in sorted(route.methods)]
    return ops


OPS = operations()


def _value(draw: st.DrawFn, annotation: object) -> Any:
    if annotation is int:
        return draw(st.sampled_from(INTS) | st.integers())
    return draw(st.sampled_from(STRINGS) | st.text(string.printable + "\x00é", max_size=40))


def _path(draw: st.DrawFn, route: APIRoute) -> str:
    path = route.path
    for param in _params(route.dependant, "path_params"):
        if f"{{{param.name}:paper_id}}" in path:
            value = draw(st.sampled_from([PAPER, "2503.99999", "t-0123456789ab"]))
            path = path.replace(f"{{{param.name}:paper_id}}", value)
        else:
            value = quote(str(_value(draw, param.field_info.annotation)), safe="")
            path = path.replace(f"{{{param.name}}}", value or "x")
    return path


@st.composite
def requests(draw: st.DrawFn, op: tuple[str, APIRoute]) -> dict[str, Any]:
    method, route = op
    query = {
        p.name: str(_value(draw, p.field_info.annotation))
        for p in _params(route.dependant, "query_params")
        if draw(st.booleans())
    }
    for name in EXTRA_QUERY:
        if not route.path.startswith("/api/daily_papers") and draw(st.integers(0, 4)):
            continue
        query[name] = str(_value(draw, draw(st.sampled_from([int, str]))))
    request: dict[str, Any] = {"method": method, "url": _path(draw, route), "params": query}
    body = _params(route.dependant, "body_params")
    if (
        len(body) == 1
        and isinstance(body[0].field_info.annotation, type)
        and issubclass(body[0].field_info.annotation, BaseModel)
    ):
        fields = body[0].field_info.annotation.model_fields
        request["json"] = {
            name: _value(draw, f.annotation) for name, f in fields.items() if draw(st.booleans())
        } | ({"id": draw(st.sampled_from(STRINGS))} if "id" in fields else {})
    elif body:
        request["data"] = {p.name: str(_value(draw, str)) for p in body}
    if draw(st.booleans()):
        request["headers"] = draw(st.sampled_from(["admin", "user"]))
    return request


@pytest.fixture
def world(settings, app):
    """A paper, an administrator and a user; server errors come back as 500s, not raised."""
    client = TestClient(app, raise_server_exceptions=False)
    settings.rate_limit_enabled = False
    add_paper(settings, PAPER, "A paper under fire")
    tokens = {"admin": make_user(settings, "root", admin=True)[1],
              "user": make_user(settings, "plain")[1]}  # fmt: skip
    with arxiv_replay({}) as (url, _):
        settings.arxiv_api_url = url  # submissions of unknown papers: a fast "no such paper"
        yield client, tokens


def test_no_route_answers_500_to_hostile_input(world) -> None:
    """Every operation, a dozen hostile requests each; all server errors are listed at once."""
    client, tokens = world
    sent, errors = 0, []
    for op in OPS:

        @hyp_settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(requests(op))
        def check(request: dict[str, Any]) -> None:
            nonlocal sent
            who = request.pop("headers", None)
            response = client.request(**request, headers=bearer(tokens[who]) if who else None)
            sent += 1
            warming = response.status_code == 503 and request["url"].startswith("/readyz")
            if response.status_code >= 500 and not warming:
                errors.append((request["method"], request["url"], request.get("params"),
                               response.status_code))  # fmt: skip

        check()
    print(f"{len(OPS)} operations, {sent} requests, {len(errors)} server errors")
    assert errors == []


# --- the audit's reproductions, by name ------------------------------------------------------
FAR = ["/date/9999-12-31", "/date/0001-01-01", "/week/9999-W52", "/week/0001-W01",
       "/month/9999-12", "/month/0001-01", "/api/daily_papers?week=9999-W52",
       "/api/daily_papers?date=9999-12-31", "/api/daily_papers?month=0001-01",
       "/?date=9999-12-31", "/trending?page=9223372036854775808",
       "/date/2025-03-18?page=10000000000",
       "/api/daily_papers?p=9223372036854775808", "/api/daily_papers?limit=99999999999",
       "/search?q=x&page=99999999999999999999", "/api/papers/search?q=x&page=9223372036854775808",
       "/authors/Ada?page=9223372036854775808"]  # fmt: skip


@pytest.mark.parametrize("path", FAR)
def test_far_dates_and_huge_pages_are_4xx_with_a_message(client, path) -> None:
    response = client.get(path, headers={"accept": "application/json"})
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert response.json()["error"]


IDS = ["2147483648", "9223372036854775808", "99999999999999999999", "-1", "0"]


@pytest.mark.parametrize("raw", IDS)
def test_out_of_range_ids_are_4xx(world, raw) -> None:
    client, tokens = world
    auth = bearer(tokens["admin"])
    for method, path, extra in [
        ("PATCH", f"/api/comments/{raw}", {"json": {"text": "hi"}}),
        ("DELETE", f"/api/comments/{raw}", {}),
        ("DELETE", f"/api/tokens/{raw}", {}),
        ("POST", f"/comments/{raw}/edit", {"data": {"text": "hi"}}),
        ("POST", f"/comments/{raw}/delete", {}),
        ("POST", f"/settings/tokens/{raw}/revoke", {}),
        ("POST", f"/admin/claims/{raw}", {"data": {"decision": "approve"}}),
    ]:
        response = client.request(
            method, path, headers=auth | {"accept": "application/json"}, **extra
        )
        assert response.status_code in (400, 404, 422), (method, path, response.status_code)
        assert response.json()["error"]


def test_nul_bytes_are_refused_with_a_message(world) -> None:
    client, tokens = world
    auth = bearer(tokens["admin"])
    cases = [
        client.post(f"/api/papers/{PAPER}/comments", json={"text": "a\x00b"}, headers=auth),
        client.post("/api/tokens", json={"name": "t\x00"}, headers=auth),
        client.post("/login", data={"login": "a\x00", "password": "x"}),
        client.post("/password/forgot", data={"email": "a\x00@example.org"}),
        client.get("/authors/a%00b"),
        client.get("/api/daily_papers?submitter=a%00b"),
        client.get("/search?q=a%00b"),
    ]
    for response in cases:
        assert response.status_code == 400, (response.request.url, response.status_code)
        assert "NUL" in response.text
    # feeds and exports answer errors in JSON, as their other errors (web/errors.py) do
    for path in ("/search.xml?q=a%00b", "/api/daily_papers?submitter=a%00b"):
        response = client.get(path)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json"
        assert "NUL" in response.json()["error"]
    assert client.get("/search.xml?q=author:").headers["content-type"] == "application/json"
