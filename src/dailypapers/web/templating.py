"""Jinja2 environment (autoescaped) and the ``render`` helper every page uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dailypapers.web import filters, latex
from dailypapers.web.security import csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
filters.register(templates.env)
latex.register(templates.env)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the settings, CSRF token and current user available to templates."""
    context.setdefault("settings", request.app.state.settings)
    context.setdefault("current_user", getattr(request.state, "user", None))
    # A page for the shared cache gets a placeholder (``web/page_cache.py``); each visitor's
    # copy gets their token.
    context["csrf_token"] = getattr(request.state, "csrf_placeholder", None) or csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)
