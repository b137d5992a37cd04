"""The declarative base of every table and the UTC clock columns use (split from
``models.py`` so that table modules of other areas import it without an import cycle)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass
