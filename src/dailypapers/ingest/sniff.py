"""Look at an input file before parsing it: binary or text, which format, strict UTF-8 lines.

A parser given the wrong input does not fail, it invents: random bytes read as page text
gave 18,275 "papers" of junk. So every file is sniffed first (``sniff``): binary content
(NUL bytes, control characters) and content that does not look like the format asked for
are refused before anything is written. Text is decoded strictly (``Utf8Lines``): a line that
is not valid UTF-8 is reported with its number instead of being silently repaired.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

import orjson

from dailypapers.errors import Invalid
from dailypapers.ingest.pages import looks_like_pages

__all__ = ["FORMATS", "ImportFailed", "Utf8Lines", "open_binary", "sniff"]

FORMATS = ("pages", "arxiv-jsonl", "hf-daily")
HEAD_BYTES = 65536
BOM = b"\xef\xbb\xbf"
# Bytes that never occur in text files (all C0 controls but tab, newlines, form feed; DEL).
_CONTROL = bytes([*range(0, 9), 11, *range(14, 32), 127])
MAX_CONTROL_SHARE = 0.01


class ImportFailed(Invalid):
    """An input cannot be imported at all (missing, unreadable, binary, unknown or wrong
    format); the message says why."""


def open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """The file's bytes (gzip undone when the content is gzip) and the raw file for progress."""
    raw = path.open("rb")
    compressed = raw.read(2) == b"\x1f\x8b"
    raw.seek(0)
    stream = cast(IO[bytes], gzip.GzipFile(fileobj=raw)) if compressed else raw
    return stream, raw


class Utf8Lines:
    """The lines of a byte stream decoded as UTF-8, strictly.

    A line that is not valid UTF-8 is recorded in ``bad`` (line number → why) and yielded
    with U+FFFD in place of the bad bytes only so that parsers keep counting lines; the
    importer rejects the entry holding it and reports the line.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.bad: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.stream, 1):
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                byte = raw[exc.start]
                self.bad[number] = (
                    f"invalid UTF-8 (byte 0x{byte:02x} at column {exc.start + 1}); "
                    "convert the file to UTF-8"
                )
                yield raw.decode("utf-8", "replace")

    def read(self) -> str:
        return "".join(self)


def _head(path: Path) -> bytes:
    """The first bytes of the content (of a damaged gzip, what it yields before the damage)."""
    stream, raw = open_binary(path)
    with raw:
        chunks: list[bytes] = []
        size = 0
        try:
            while size < HEAD_BYTES and (chunk := stream.readline(HEAD_BYTES - size)):
                chunks.append(chunk)
                size += len(chunk)
        except (EOFError, OSError, zlib.error) as exc:
            if not chunks:
                raise ImportFailed(f"{path}: cannot read ({exc})") from None
    return b"".join(chunks)


def _is_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL))
    return bool(head) and control / len(head) > MAX_CONTROL_SHARE


def _is_hf_object(line: str) -> bool:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(obj, dict):
        return False
    return "paper" in obj or ("summary" in obj and "abstract" not in obj)


def _detect(text: str) -> str | None:
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "hf-daily"
    if stripped.startswith("{"):
        return "hf-daily" if _is_hf_object(stripped.split("\n", 1)[0]) else "arxiv-jsonl"
    if looks_like_pages(text):
        return "pages"
    return None


def _fits(fmt: str, text: str) -> bool:
    """Whether the start of the content can be ``fmt`` at all (an empty file can be anything)."""
    stripped = text.lstrip()
    if not stripped:
        return True
    if fmt == "pages":
        return looks_like_pages(text)
    if fmt == "hf-daily":
        return stripped[0] in "[{"
    return stripped[0] == "{"


def sniff(path: Path, fmt: str | None = None) -> str:
    """The format of ``path``: ``fmt`` when the content fits it, else detected from the content.

    Raises ``ImportFailed`` for binary content, for content that is not ``fmt``, or (without
    ``fmt``) when the format cannot be told.
    """
    head = _head(path)
    if _is_binary(head):
        raise ImportFailed(f"{path}: binary content, not a text file of papers")
    cut = head.rfind(b"\n") if len(head) >= HEAD_BYTES else len(head)
    text = head[: cut if cut > 0 else len(head)].removeprefix(BOM).decode("utf-8", "replace")
    if fmt is None:
        found = _detect(text)
        if found is None:
            raise ImportFailed(f"{path}: cannot tell the format; pass --format {'|'.join(FORMATS)}")
        return found
    if not _fits(fmt, text):
        raise ImportFailed(f"{path}: does not look like {fmt} content ({_hint(fmt)})")
    return fmt


def _hint(fmt: str) -> str:
    if fmt == "pages":
        return "no 'Daily Papers' header and no '·' line followed by a date near the top"
    if fmt == "hf-daily":
        return "a JSON list or object was expected"
    return "one JSON object per line was expected"
