"""The digest MIME writer: parts encoded line by line are the bytes of the whole-text
encoding, and the message parses back to the same texts."""

from __future__ import annotations

import binascii
import email
import random
from email import policy

from dailypapers.mail import mime

# Pieces that exercise quoted-printable's edge cases: blanks at line ends, soft breaks of long
# lines (with a blank right at the limit), a lone dot, "=", multi-byte characters, CR/LF forms.
PIECES = [*"ab .=\t\n\r-xyz", "é", "€", "😀", "From ", "..", ".", "\r\n", " \n", "\t\n",
          "a" * 70, " " * 75, "<p style=\"margin:0\">"]  # fmt: skip


def _whole(text: str) -> bytes:
    body = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    return binascii.b2a_qp(body, quotetabs=False, istext=True).replace(b"\n", b"\r\n")


def test_line_by_line_encoding_is_the_whole_text_encoding():
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60)))
        text *= rng.choice([1, 1, 3])
        assert mime._qp(text) == _whole(text), repr(text)
    assert mime._qp_line.cache_info().hits > 0  # repeated lines came from the cache


def test_message_parses_back_to_both_texts():
    text = "Digest\n\n* A title =with= signs \n  " + "long words " * 20 + "\n.\n"
    html = '<p style="color:#000">Ünïcödé 深度学习 — ' + "x" * 200 + "</p>\n"
    raw = mime.alternative([("From", "Dailypapers <d@example.org>"), ("To", "r@example.org"),
                            ("Subject", "Über papers")], text, html)  # fmt: skip
    message = email.message_from_bytes(raw, policy=policy.default)
    parts = {p.get_content_subtype(): p.get_content() for p in message.iter_parts()}
    assert message["Subject"] == "Über papers"
    assert parts["plain"].replace("\r\n", "\n") == text
    assert parts["html"].replace("\r\n", "\n") == html
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
