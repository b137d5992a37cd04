"""Security headers on every response (issue 14), and a real browser still works under the CSP."""

from __future__ import annotations

from dailypapers.web.app import create_app
from dailypapers.web.headers import CSP
from tests.browser import MARKS, page_fixture  # noqa: F401 (the `page` fixture)
from tests.community_fixtures import PASSWORD, add_paper, bearer, make_user

PATHS = ["/", "/papers/2503.30001", "/date/2025-03-18", "/search?q=x", "/login", "/feed.xml",
         "/api/daily_papers", "/api/papers/2503.30001", "/healthz", "/static/style.css",
         "/no/such/page", "/api/papers/9999.99999", "/openapi.json"]  # fmt: skip


def _check(response, *, csp: str = CSP, hsts: bool = False) -> None:
    h = response.headers
    assert h["content-security-policy"] == csp
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert "camera=()" in h["permissions-policy"]
    assert ("strict-transport-security" in h) is hsts


def test_headers_on_pages_api_feeds_static_and_errors(settings, client) -> None:
    add_paper(settings, "2503.30001")
    for path in PATHS:
        response = client.get(path)
        assert response.status_code < 500, path
        _check(response)


def test_headers_on_authenticated_writes(settings, client) -> None:
    pid = add_paper(settings, "2503.30002")
    _, token = make_user(settings, "hdr")
    response = client.post(f"/api/papers/{pid}/upvote", headers=bearer(token))
    assert response.status_code == 200
    _check(response)
    _check(client.post(f"/api/papers/{pid}/upvote"))  # 401


def test_csp_forbids_inline_script_and_styles() -> None:
    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"


def test_docs_get_their_own_policy_and_still_load(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" in csp
    assert response.headers["x-frame-options"] == "DENY"


def test_hsts_in_production_only(settings) -> None:
    from fastapi.testclient import TestClient

    production = settings.model_copy(update={"env": "production"})
    with TestClient(create_app(production), base_url="https://testserver") as client:
        _check(client.get("/healthz"), hsts=True)


@MARKS[0]
@MARKS[1]
def test_upvote_script_works_under_the_csp(settings, live_server, page) -> None:
    pid = add_paper(settings, "2503.30003", "Framed paper")
    make_user(settings, "csp")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text
            or "Refused to" in m.text else None)  # fmt: skip
    page.goto(f"{live_server}/login")
    form = page.locator("main form")
    form.get_by_label("User name or email").fill("csp")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/papers/{pid}")
    button = page.locator(".paper-actions .upvote-button")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()  # community.js toggles in place through the JSON API
    page.wait_for_selector(".paper-actions .upvote-button[aria-pressed=true]")
    assert button.locator(".vote-count").inner_text() == "1"
    assert page.url.endswith(f"/papers/{pid}")  # no full-page form post: the script ran
    # An inline script injected at run time is refused by the policy.
    ran = page.evaluate(
        """() => { window.__ran = false; const s = document.createElement('script');
        s.textContent = 'window.__ran = true'; document.body.appendChild(s);
        return window.__ran; }"""
    )
    assert ran is False
    assert any("Content Security Policy" in v for v in violations)
    assert [v for v in violations if "window.__ran" not in v and "inline script" not in v] == []


def test_headers_even_on_an_unexpected_500(settings) -> None:
    from fastapi.testclient import TestClient

    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    _check(response)
