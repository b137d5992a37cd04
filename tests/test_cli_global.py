"""Global CLI options, the database line, exit codes, and code links found in arXiv text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailypapers.cli import demo_cmd
from dailypapers.config import get_settings
from tests.conftest import TEST_SECRET, _free_port

ROOT = Path(__file__).resolve().parents[1]
CODE = "from dailypapers.cli.main import main; main()"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update({"DAILYPAPERS_CONFIG_FILE": "/nonexistent", "DAILYPAPERS_SECRET_KEY": TEST_SECRET,
                "PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    return subprocess.run([sys.executable, "-c", CODE, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_data_dir_option_and_the_database_line(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    run = _run("--data-dir", str(folder), "stats", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    first = run.stderr.splitlines()[0]
    assert first == f"database: sqlite:///{folder.resolve()}/dailypapers.sqlite3"
    assert (folder / "dailypapers.sqlite3").exists() and not (tmp_path / "data").exists()


def test_unreachable_database_exits_3_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://reader:s3cret@127.0.0.1:{_free_port()}/papers"
    run = _run("--database-url", url, "users", "list", cwd=tmp_path)
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stderr.startswith("database: postgresql+psycopg://reader:***@127.0.0.1:")
    assert "s3cret" not in run.stderr + run.stdout and "Traceback" not in run.stderr
    assert "error: cannot use the database" in run.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    run = _run("stats", "--no-such-option", cwd=tmp_path)
    assert run.returncode == 2


def test_demo_port_sets_the_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dailypapers.cli.main import app

    monkeypatch.setattr(demo_cmd, "_fill", lambda settings: None)
    for name in ("DAILYPAPERS_DATA_DIR", "DAILYPAPERS_DATABASE_URL", "DAILYPAPERS_BASE_URL"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    result = CliRunner().invoke(app, ["demo", "--data-dir", str(tmp_path / "d"), "--port",
                                      "8100", "--no-serve"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert get_settings().base_url == "http://127.0.0.1:8100"
    assert get_settings().data_dir == (tmp_path / "d").resolve()
    get_settings.cache_clear()
