"""``dailypapers doctor``: each check finds what is wrong and says how to fix it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dailypapers.config import Settings
from dailypapers.ops.doctor import run_checks
from dailypapers.search.indexer import rebuild
from tests.conftest import TEST_SECRET, _free_port
from tests.digest_fixtures import smtp_server_fixture  # noqa: F401  (aiosmtpd: smtp_server)
from tests.factories import add_papers, make_records

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379/9"


def _by_name(settings: Settings) -> dict[str, tuple[str, str, str]]:
    return {c.name: (c.level, c.found, c.fix) for c in run_checks(settings)}


def test_a_healthy_site_passes_every_check(settings, smtp_server):
    healthy = smtp_server.settings(settings).model_copy(update={"redis_url": REDIS})
    add_papers(healthy, make_records(3))
    rebuild(healthy, embed=True)
    found = _by_name(healthy)
    assert {name: level for name, (level, _, _) in found.items()} == {
        "database": "ok", "migrations": "ok", "search index": "ok", "vectors": "ok",
        "embedding model": "ok", "smtp": "ok", "redis": "ok", "base url": "ok",
    }  # fmt: skip


def test_problems_are_found_with_a_fix(settings):
    broken = settings.model_copy(update={
        "smtp_port": _free_port(), "redis_url": f"redis://127.0.0.1:{_free_port()}/0",
        "env": "production", "base_url": "http://papers.example.org",
    })  # fmt: skip
    add_papers(broken, make_records(2))  # stored, never indexed or embedded
    found = _by_name(broken)
    assert found["smtp"][0] == "fail" and "DAILYPAPERS_SMTP_" in found["smtp"][2]
    assert found["redis"][0] == "fail" and "DAILYPAPERS_REDIS_URL" in found["redis"][2]
    assert found["vectors"][0] == "warn" and "2 of 2 papers" in found["vectors"][1]
    assert "index rebuild" in found["vectors"][2]
    assert found["search index"][0] == "warn"
    assert found["base url"][0] == "warn"


def test_an_unmigrated_or_unreachable_database(tmp_path):
    fresh = Settings(data_dir=tmp_path, secret_key=TEST_SECRET)
    found = _by_name(fresh)
    assert found["migrations"][0] == "fail" and "db upgrade" in found["migrations"][2]
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_free_port()}/x"
    gone = Settings(data_dir=tmp_path, secret_key=TEST_SECRET, database_url=url)
    found = _by_name(gone)
    assert found["database"][0] == "fail" and "DAILYPAPERS_DATABASE_URL" in found["database"][2]
    assert "migrations" not in found  # nothing more to learn without a database


def test_cli_exit_code_and_json(settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update({"DAILYPAPERS_CONFIG_FILE": "/nonexistent", "DAILYPAPERS_SECRET_KEY": TEST_SECRET,
                "DAILYPAPERS_SMTP_PORT": str(_free_port())})  # fmt: skip
    args = ["--data-dir", str(settings.data_dir)]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    code = "from dailypapers.cli.main import main; main()"
    run = subprocess.run([sys.executable, "-c", code, *args, "doctor", "--json"], env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("database: ") and "***" not in run.stderr.split("\n")[0][:10]
    checks = [json.loads(line) for line in run.stdout.splitlines()]
    assert {c["name"]: c["level"] for c in checks}["smtp"] == "fail"
    skipped = subprocess.run(
        [sys.executable, "-c", code, *args, "doctor", "--skip", "smtp"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "smtp" not in skipped.stdout
