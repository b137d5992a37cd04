"""A fast writer of the one MIME shape digests need: multipart/alternative, text + HTML.

``email.message.EmailMessage`` spends about 7 ms building and flattening a 20-paper digest;
this writes the same wire form (CRLF lines, quoted-printable UTF-8 parts, RFC 2047 headers)
in a fraction of that, which matters at 10,000 digests a run. The result parses back with the
standard library (the tests do) and is what DKIM signs.
"""

from __future__ import annotations

import binascii
import functools
import itertools
import secrets
from email.header import Header
from email.utils import formataddr, parseaddr

_PREFIX = secrets.token_hex(8)
_COUNTER = itertools.count()


class HeaderInjection(ValueError):
    """A header value containing a line break."""


def _header_value(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjection(f"line break in a header value: {value!r}")
    if value.isascii():
        return value
    return _encoded(value)


@functools.lru_cache(maxsize=4096)
def _encoded(value: str) -> str:
    """RFC 2047 form of a non-ASCII value (slow in ``email.header``; a run's subjects repeat)."""
    return Header(value, "utf-8", maxlinelen=998).encode()


def address_header(value: str) -> str:
    """``Name <addr>`` with a non-ASCII display name encoded (the address itself stays)."""
    name, addr = parseaddr(value)
    if not addr:
        return _header_value(value)
    return _header_value(formataddr((name, addr), charset="utf-8")) if name else addr


def _qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends, line by line: the encoding never carries state
    across a line end, and a run's digests repeat most of their lines (the papers' blocks),
    so each distinct line is encoded once. The same bytes as encoding the whole text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return b"".join([*map(_qp_line, lines[:-1]), _qp_bytes(lines[-1])])


@functools.lru_cache(maxsize=1 << 16)
def _qp_line(line: str) -> bytes:
    return _qp_bytes(line + "\n")  # encoded as followed by a line end (trailing blanks)


def _qp_bytes(text: str) -> bytes:
    return binascii.b2a_qp(text.encode(), quotetabs=False, istext=True).replace(b"\n", b"\r\n")


def alternative(headers: list[tuple[str, str]], text: str, html: str) -> bytes:
    """The complete message: ``headers`` (already-formatted addresses welcome), then parts."""
    # Quoted-printable bodies never contain "=_", so such a boundary cannot occur in the parts;
    # a per-process prefix and a counter make it unique without hashing or system randomness.
    boundary = f"=_dp_{_PREFIX}_{next(_COUNTER)}"
    lines = [f"{name}: {_header_value(value)}" for name, value in headers]
    lines += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
    ]
    part_head = 'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'  # noqa: E501
    out = ["\r\n".join(lines).encode(), b"\r\n"]
    for subtype, body in (("plain", text), ("html", html)):
        out += [f"--{boundary}\r\n".encode(), part_head.format(subtype).encode(), _qp(body),
                b"\r\n"]  # fmt: skip
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)
