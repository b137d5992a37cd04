"""CSRF protection for cookie-authenticated writes.

The token lives in the signed session cookie; forms carry it in a hidden ``csrf_token`` field
and scripts in the ``X-CSRF-Token`` header. Requests authenticated by a Bearer token carry no
cookies and need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Dependency for state-changing routes: 403 unless the request proves same-site origin."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get("csrf_token")
        sent = field if isinstance(field, str) else None
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "Missing or invalid CSRF token: reload the page and try again.")
