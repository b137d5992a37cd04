"""``dailypapers library import|export|fetch-pending`` and ``dailypapers users delete``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.config import Settings, get_settings
from dailypapers.store import db
from dailypapers.store.queries.library import all_saved_ids
from tests.community_fixtures import make_user
from tests.library_fixtures import FIXTURES, add_known_papers
from tests.test_cli_import import _env

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAILYPAPERS_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("DAILYPAPERS_HTTP_MAX_RETRIES", "0")
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_import_export_reimport(cli_env, tmp_path) -> None:
    add_known_papers(cli_env)
    uid, _ = make_user(cli_env, "alice")
    other, _ = make_user(cli_env, "bobby")
    result = runner.invoke(
        app,
        [
            "library",
            "import",
            "--user",
            "alice",
            str(FIXTURES / "mendeley.bib"),
            "--collection",
            "Thesis",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "imported: 3 matched" in result.output
    out = tmp_path / "alice.bib"
    exported = runner.invoke(
        app,
        [
            "library",
            "export",
            "--user",
            "alice",
            "--format",
            "bibtex",
            "--collection",
            "thesis",
            "--output",
            str(out),
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert out.read_text().count("@misc{") == 3
    again = runner.invoke(app, ["library", "import", "--user", "bobby", str(out)])
    assert again.exit_code == 0, again.output
    with db.session_scope(cli_env) as s:
        assert sorted(all_saved_ids(s, uid)) == sorted(all_saved_ids(s, other))
    stdout = runner.invoke(app, ["library", "export", "--user", "alice", "--format", "ris"])
    assert stdout.output.count("TY  - UNPB") == 3


def test_pending_offline_and_user_delete(cli_env) -> None:
    add_known_papers(cli_env)
    make_user(cli_env, "carol")
    result = runner.invoke(
        app, ["library", "import", "--user", "carol", str(FIXTURES / "zotero.bib"), "--fetch"]
    )
    assert result.exit_code == 0, result.output
    assert "1 pending" in result.output and "1 not reached" in result.output
    assert "unmatched zotero.bib:17: Schrödinger" in result.output
    refused = runner.invoke(app, ["users", "delete", "carol"], input="n\n")
    assert refused.exit_code == 1
    done = runner.invoke(app, ["users", "delete", "carol", "--yes"])
    assert done.exit_code == 0 and "deleted carol" in done.output
    missing = runner.invoke(app, ["library", "export", "--user", "carol"])
    assert "no user 'carol'" in str(missing.exception)
