"""``dailypapers import`` (being written: see the importer module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
