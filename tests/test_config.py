"""Settings: defaults, validation and the backend choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dailypapers.config import DEFAULT_SECRET_KEY, Settings


def test_default_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be set"):
        Settings(env="production", secret_key=DEFAULT_SECRET_KEY)
    assert Settings(env="production", secret_key="x" * 32).env == "production"


def test_sqlite_is_the_default_backend(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.is_sqlite
    assert settings.sqlalchemy_url.endswith(str(tmp_path / "dailypapers.sqlite3"))


def test_database_url_selects_postgresql() -> None:
    settings = Settings(database_url="postgresql+psycopg://u@h/db")
    assert not settings.is_sqlite
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAILYPAPERS_ARXIV_CATEGORIES", '["cs.IR"]')
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.arxiv_categories == ["cs.IR"]


def test_invalid_values_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Settings(smtp_tls="sometimes")
    with pytest.raises(ValidationError):
        Settings(page_size=0)
