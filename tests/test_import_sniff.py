"""Importers refuse what is not theirs: binary or wrong-format files, invalid UTF-8 by line,
and a non-zero exit code whenever an entry failed (issue 14)."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dailypapers.config import Settings
from dailypapers.ingest.runner import ImportFailed, import_paths
from dailypapers.store import db
from dailypapers.store.models import Paper
from tests.test_cli_import import _env, _run


def _papers(settings: Settings) -> int:
    with db.session_scope(settings) as session:
        return session.scalar(select(func.count()).select_from(Paper)) or 0


def _garbage(path: Path, size: int = 300_000) -> Path:
    path.write_bytes(random.Random(14).randbytes(size))
    return path


def _line(i: int, title: str = "") -> str:
    row = {"id": f"2501.{i:05d}", "title": title or f"Paper {i}", "abstract": "An abstract.",
           "first_listing_date": "2025-01-15"}  # fmt: skip
    return json.dumps(row, ensure_ascii=False)


@pytest.mark.parametrize("fmt", [None, "pages", "arxiv-jsonl", "hf-daily"])
def test_binary_input_is_refused_before_anything_is_written(
    settings: Settings, tmp_path: Path, fmt: str | None
) -> None:
    garbage = _garbage(tmp_path / "garbage.bin")
    with pytest.raises(ImportFailed, match="binary content"):
        import_paths(settings, [garbage], fmt=fmt)
    packed = tmp_path / "garbage.jsonl.gz"
    packed.write_bytes(gzip.compress(garbage.read_bytes()))
    with pytest.raises(ImportFailed, match="binary content"):
        import_paths(settings, [packed], fmt=fmt)
    assert _papers(settings) == 0


def test_text_of_another_format_is_refused(settings: Settings, tmp_path: Path) -> None:
    csv = tmp_path / "papers.csv"
    csv.write_text("id,title\n" + "".join(f"{i},Title {i}\n" for i in range(200)))
    for fmt in ("pages", "arxiv-jsonl", "hf-daily"):
        with pytest.raises(ImportFailed, match=f"does not look like {fmt}"):
            import_paths(settings, [csv], fmt=fmt)
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(_line(1) + "\n")
    with pytest.raises(ImportFailed, match="does not look like pages"):
        import_paths(settings, [jsonl], fmt="pages")
    assert _papers(settings) == 0


def test_invalid_utf8_is_reported_by_line_and_never_replaced(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [_line(1).encode(), _line(2, "Caf\u00e9 latin").encode("latin-1"), _line(3).encode(),
             _line(4, "Na\u00efve UTF-8").encode()]  # fmt: skip
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_paths(settings, [path])
    assert [(e.line, e.message.split(" (")[0]) for e in report.errors] == [(2, "invalid UTF-8")]
    assert "byte 0xe9" in report.errors[0].message
    assert report.added == 3 and report.exit_code == 3
    with db.session_scope(settings) as session:
        titles = session.scalars(select(Paper.title)).all()
    assert "\ufffd" not in "".join(titles) and "Na\u00efve UTF-8" in titles


def test_invalid_utf8_inside_a_page_entry_skips_that_entry(
    settings: Settings, tmp_path: Path
) -> None:
    page = tmp_path / "p.txt"
    page.write_bytes(b"Daily Papers\nFirst\nAbstract one.\n  \xe2\x80\xa2 2 authors\n\xc2\xb7\n"
                     b"Jan 2, 2024 3\nSecond\nAbstract \xff two.\n\xc2\xb7\nJan 3, 2024\n"
                     b"Third\nAbstract three.\n")  # fmt: skip
    report = import_paths(settings, [page])
    assert [(e.line, e.message.split(" (")[0]) for e in report.errors] == [(8, "invalid UTF-8")]
    assert report.added == 2


def test_exit_codes(settings: Settings, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(_line(1) + "\n")
    assert _run(["import", str(good)], _env(settings)).returncode == 0
    partial = tmp_path / "partial.jsonl"
    partial.write_text(_line(2) + "\n{broken\n")
    result = _run(["import", str(partial)], _env(settings))
    assert result.returncode == 3 and f"{partial}:2: not valid JSON" in result.stderr
    junk = tmp_path / "junk.jsonl"
    junk.write_text("{broken\n{also broken\n")
    result = _run(["import", str(junk)], _env(settings))
    assert result.returncode == 1 and "no paper read, 2 bad entries" in result.stderr
    garbage = _garbage(tmp_path / "garbage.bin")
    result = _run(["import", str(garbage), "--format", "pages"], _env(settings))
    assert result.returncode == 1 and "binary content" in result.stderr
    assert "Traceback" not in result.stderr
    assert _papers(settings) == 2
    helptext = _run(["import", "--help"], _env(settings)).stdout
    assert "Exit codes" in helptext
