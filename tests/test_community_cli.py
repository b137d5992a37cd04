"""``dailypapers users …`` and ``dailypapers trending refresh`` as a user runs them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.config import Settings, get_settings
from dailypapers.store import db
from dailypapers.store.models import User
from tests.community_fixtures import add_paper, bearer
from tests.test_cli_import import _env

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_create_user_then_token_on_last_line_works_with_the_api(cli_env, client) -> None:
    created = runner.invoke(app, ["users", "create", "alice", "--email", "alice@example.org",
                                  "--password", "pass phrase 1"])  # fmt: skip
    assert created.exit_code == 0, created.output
    result = runner.invoke(app, ["users", "token", "alice"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("dp_")
    add_paper(cli_env, "2507.00001")
    response = client.post("/api/papers/2507.00001/upvote", headers=bearer(token))
    assert response.json()["upvotes"] == 1


def test_cli_errors_are_one_line_messages(cli_env) -> None:
    from dailypapers.cli.errors import CliError

    result = runner.invoke(app, ["users", "token", "nobody"])
    assert isinstance(result.exception, CliError) and "no user 'nobody'" in str(result.exception)
    bad = runner.invoke(app, ["users", "create", "x", "--email", "nope", "--password", "short"])
    assert isinstance(bad.exception, CliError) and "User names have" in str(bad.exception)


def test_admin_role_and_list(cli_env) -> None:
    runner.invoke(app, ["users", "create", "bob", "--email", "bob@example.org",
                        "--password", "pass phrase 1"])  # fmt: skip
    assert runner.invoke(app, ["users", "admin", "bob"]).exit_code == 0
    with db.session_scope(cli_env) as session:
        assert session.query(User).filter_by(username="bob").one().is_admin
    listing = runner.invoke(app, ["users", "list"])
    assert "bob@example.org" in listing.output and "yes" in listing.output
    runner.invoke(app, ["users", "admin", "bob", "--revoke"])
    with db.session_scope(cli_env) as session:
        assert not session.query(User).filter_by(username="bob").one().is_admin


def test_trending_refresh(cli_env) -> None:
    add_paper(cli_env, "2507.00002", upvotes=3)
    result = runner.invoke(app, ["trending", "refresh"])
    assert result.exit_code == 0 and "updated for 1 papers" in result.output
