"""Request-scoped dependencies shared by pages and the API."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from dailypapers.config import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; committed by the handler that writes, closed here."""
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()
