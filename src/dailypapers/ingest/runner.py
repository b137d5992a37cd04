"""Import files into the store: detect the format, stream entries, write batches.

Each batch of about ``BATCH_SIZE`` records is one transaction, so an entry is written whole
or not at all and an interrupted import keeps every finished batch; rerunning the same
files changes nothing that is already there. A bad entry is reported as ``file:line: why``
and skipped (``strict`` stops at the first). When the database refuses a batch, its records
are written one by one to find the culprit and keep the rest.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy.exc import OperationalError

from dailypapers.config import Settings
from dailypapers.foryou.terms import store_term_counts
from dailypapers.ingest.arxiv_jsonl import parse_arxiv_jsonl
from dailypapers.ingest.entries import Entry
from dailypapers.ingest.hf_daily import parse_hf_daily
from dailypapers.ingest.pages import parse_pages
from dailypapers.ingest.sniff import FORMATS, ImportFailed, Utf8Lines, open_binary, sniff
from dailypapers.store import db
from dailypapers.store.papers import UpsertStats, upsert_records
from dailypapers.store.records import PaperRecord
from dailypapers.store.trending import refresh_scores

log = logging.getLogger(__name__)

__all__ = ["FORMATS", "ImportFailed", "ImportReport", "detect_format", "import_paths"]

BATCH_SIZE = 1000
MAX_KEPT_ERRORS = 1000
ProgressFn = Callable[[Path, int, int], None]  # (file, bytes done, file size in bytes)

# Column sizes of ``papers``: longer values are refused alike on SQLite and PostgreSQL.
# The database is down or locked: no record is to blame, so nothing is isolated or skipped.
_FATAL = (OperationalError, psycopg.OperationalError)
_LIMITS = {"organization": 200, "github_repo": 500, "project_page": 500, "pdf_url": 500,
           "submitter_name": 100}  # fmt: skip


@dataclass(frozen=True)
class ImportIssue:
    """A bad entry: where it is and why it was skipped."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: counts of papers added/updated/unchanged and the skipped entries."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    read: int = 0
    files: int = 0
    errors: list[ImportIssue] = field(default_factory=list)  # the first MAX_KEPT_ERRORS
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # files that yielded no paper, only errors
    stopped: bool = False  # strict mode stopped at the first error

    @property
    def exit_code(self) -> int:
        """0: all entries read; 1: stopped (``strict``) or a file yielded only bad entries;
        3: imported, but some entries were bad and skipped (2 is the CLI's configuration error)."""
        if self.stopped or self.failed:
            return 1
        return 3 if self.error_count else 0

    def add_error(self, path: Path, line: int, message: str) -> None:
        """Count a bad entry; keep its details while there are few (a garbage file has many)."""
        self.error_count += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(ImportIssue(str(path), line, message))

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.skipped} skipped, "
            f"{self.error_count} errors"
        )


def import_paths(
    settings: Settings,
    paths: Iterable[Path | str],
    fmt: str | None = None,
    year: int | None = None,
    strict: bool = False,
    progress: ProgressFn | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import files (folders: every file in them) into the database of ``settings``.

    ``fmt`` is one of ``FORMATS`` or None to detect it from each file's content; ``year`` is
    the year of page dates written without one. Raises ``ImportFailed`` before writing
    anything when a path is missing or a format cannot be told.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    report = ImportReport()
    formats = _formats(paths, fmt, report)
    for path in formats:
        report.files += 1
        _import_file(settings, path, formats[path], year, strict, progress, batch_size, report)
        if report.stopped:
            break
    return report


def _formats(paths: Iterable[Path | str], fmt: str | None, report: ImportReport) -> dict:
    """Each file's format. A named file of unknown format is an error; a file found in a
    folder (a README, a vector file) is passed over with a warning."""
    formats: dict[Path, str] = {}
    for path, named in _expand(paths):
        try:
            formats[path] = sniff(path, fmt)
        except ImportFailed as exc:
            if named:
                raise
            report.warnings.append(f"passed over {exc}")
    return formats


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """The files to read: each path, or the visible files of a folder in name order."""
    return [path for path, _named in _expand(paths)]


def _expand(paths: Iterable[Path | str]) -> list[tuple[Path, bool]]:
    files: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            visible = (p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            files.extend((p, False) for p in sorted(visible))
        elif path.is_file():
            files.append((path, True))
        else:
            raise ImportFailed(f"no such file: {path}")
    return files


def open_text(path: Path) -> tuple[IO[str], IO[bytes]]:
    """The file as text (gzip undone when the content is gzip) and the raw file for progress.

    For benchmarks and tools; imports read strict UTF-8 lines (``sniff.Utf8Lines``).
    """
    stream, raw = open_binary(path)
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace"), raw


def detect_format(path: Path) -> str:
    """Tell the format from the start of the content: a JSON list, JSON lines, or page text."""
    return sniff(path)


def _entries(fmt: str, text: Utf8Lines, year: int | None) -> Iterator[Entry]:
    if fmt == "pages":
        return parse_pages(text, year=year)
    if fmt == "hf-daily":
        return parse_hf_daily(text.read())
    return parse_arxiv_jsonl(text)


def _import_file(
    settings: Settings,
    path: Path,
    fmt: str,
    year: int | None,
    strict: bool,
    progress: ProgressFn | None,
    batch_size: int,
    report: ImportReport,
) -> None:
    size = path.stat().st_size
    stream, raw = open_binary(path)
    text = Utf8Lines(stream)
    errors, read = report.error_count, report.read
    with raw:
        entries = _utf8_checked(_entries(fmt, text, year), text.bad)
        for batch in _batches(entries, path, strict, batch_size, report):
            _flush(settings, path, batch, strict, report)
            if report.stopped:
                return
            if progress:
                progress(path, min(raw.tell(), size), size)
    if report.read == read and report.error_count > errors:
        report.failed.append(
            f"{path}: no paper read, {report.error_count - errors} bad entries (is it {fmt}?)"
        )
    if progress:
        progress(path, size, size)


def _utf8_checked(entries: Iterator[Entry], bad: dict[int, str]) -> Iterator[Entry]:
    """Entries with every line that was not valid UTF-8 reported: the entry whose lines hold
    one (from its first line up to the next entry's) is rejected, with that line's number.

    ``bad`` fills as the parser reads, so an entry is held until the next one arrives.
    """
    held: Entry | None = None
    for entry in entries:
        if held is None:  # lines before the first entry (a page header)
            yield from (Entry.bad(n, bad[n]) for n in sorted(bad) if n < entry.line)
        else:
            yield _marked(held, bad, entry.line)
        held = entry
    if held is not None:
        yield _marked(held, bad, None)
    elif bad:
        yield from (Entry.bad(n, why) for n, why in sorted(bad.items()))


def _marked(entry: Entry, bad: dict[int, str], end: int | None) -> Entry:
    inside = [n for n in bad if n >= entry.line and (end is None or n < end)]
    if not inside:
        return entry
    first = min(inside)
    return Entry.bad(first, bad[first])


def _batches(
    entries: Iterator[Entry], path: Path, strict: bool, batch_size: int, report: ImportReport
) -> Iterator[list[tuple[int, PaperRecord]]]:
    """Good records in batches; bad entries go to the report (``strict`` stops at the first)."""
    batch: list[tuple[int, PaperRecord]] = []
    line = 0
    try:
        for entry in entries:
            line = entry.line
            record, problem = _checked(entry)
            if record is None:
                report.add_error(path, line, problem or "unreadable")
                if strict:
                    report.stopped = True
                    break
                continue
            batch.append((line, record))
            if len(batch) >= batch_size:
                yield batch
                batch = []
    except (EOFError, OSError, zlib.error) as exc:
        # a truncated or corrupt gzip: the complete entries read before the damage are kept
        message = f"file is truncated or corrupt ({exc})"
        report.add_error(path, line + 1, message)
        report.stopped = strict
    if batch:
        yield batch


def _checked(entry: Entry) -> tuple[PaperRecord | None, str | None]:
    """The entry's record made safe to store, or the reason it cannot be stored."""
    if entry.record is None:
        return None, entry.error or "unreadable entry"
    record = entry.record
    # PostgreSQL refuses NUL characters in text; SQLite would keep them: drop them everywhere
    record.title = record.title.replace("\x00", "")
    record.abstract = record.abstract.replace("\x00", "")
    record.authors = [a.replace("\x00", "") for a in record.authors]
    try:
        record.validate()
    except ValueError as exc:
        return None, str(exc)
    for name, limit in _LIMITS.items():
        value = getattr(record, name)
        if value is not None and len(value) > limit:
            return None, f"{name} longer than {limit} characters"
    if record.categories and len(record.categories[0]) > 32:
        return None, "primary category longer than 32 characters"
    return record, None


def _flush(
    settings: Settings,
    path: Path,
    batch: list[tuple[int, PaperRecord]],
    strict: bool,
    report: ImportReport,
) -> None:
    """Write one batch in one transaction; if the database refuses it, find the bad record."""
    report.read += len(batch)
    try:
        stats = _write(settings, [record for _, record in batch])
    except _FATAL:
        raise
    except Exception:  # a record the database refuses: isolate it below
        log.info("batch of %d refused; writing its records one by one", len(batch))
        stats = _write_one_by_one(settings, path, batch, strict, report)
    report.added += stats.added
    report.updated += stats.updated
    report.skipped += stats.skipped
    _index(settings, stats.ids, report)


def _write(settings: Settings, records: list[PaperRecord]) -> UpsertStats:
    with db.session_scope(settings) as session:
        stats = upsert_records(session, records)
        refresh_scores(session, settings, stats.changed_ids)  # keep Trending current
        return stats


def _write_one_by_one(
    settings: Settings,
    path: Path,
    batch: list[tuple[int, PaperRecord]],
    strict: bool,
    report: ImportReport,
) -> UpsertStats:
    total = UpsertStats()
    for line, record in batch:
        try:
            total += _write(settings, [record])
        except _FATAL:
            raise
        except Exception as exc:  # reported with its line, then skipped
            reason = f"database refused the entry: {str(exc).splitlines()[0][:200]}"
            report.add_error(path, line, reason)
            if strict:
                report.stopped = True
                break
    return total


def _index(settings: Settings, ids: list[str], report: ImportReport) -> None:
    """Embed and index the papers of a batch (and store their term counts for "For you"),
    when the settings ask for it.

    All of them, not only those the batch changed: the rerun of an import killed before it
    embedded a batch finds those papers unchanged, and embeds the ones still without a
    current vector (checked by text hash, so the others cost one query per batch).
    """
    if not settings.embed_on_import or not ids:
        return
    try:
        from dailypapers.search import index_papers
    except ImportError:
        _warn_once(report, "semantic index not updated: the search indexer is not installed")
        return
    try:
        index_papers(settings, ids)
        store_term_counts(settings, ids)
    except Exception as exc:  # the papers are stored; indexing can be redone
        _warn_once(report, f"indexing failed ({exc}); run `dailypapers index rebuild`")


def _warn_once(report: ImportReport, message: str) -> None:
    if message not in report.warnings:
        report.warnings.append(message)
        log.warning(message)
