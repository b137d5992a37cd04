"""DKIM: digests arrive signed, the signature covers both List-Unsubscribe headers and
verifies with the published key (DNS answered by a stub returning the test public key)."""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
from email.message import EmailMessage

import dkim
import pytest

from dailypapers.digest.send import send_digests
from dailypapers.mail import DkimConfigError, send_message
from tests.digest_fixtures import add_papers, add_subscribers, smtp_server_fixture  # noqa: F401

DAY = dt.date(2025, 3, 18)


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True,
                   capture_output=True)  # fmt: skip
    der = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout  # fmt: skip
    return str(key), b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def _dns(record: bytes):
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"mail2025._domainkey.example.org." else None

    return lookup


def test_digest_is_signed_over_list_unsubscribe_headers(settings, smtp_server, dkim_key):
    key, record = dkim_key
    settings = smtp_server.settings(settings, dkim_private_key=key, dkim_selector="mail2025",
                                    dkim_domain="example.org",
                                    mail_from="Papers <digest@example.org>")  # fmt: skip
    add_papers(settings, DAY, [{"title": "Signed paper", "upvotes": 3}])
    add_subscribers(settings, ["signed@example.net"])
    assert send_digests(settings, frequencies=("daily",), as_of=DAY).sent == 1
    [mail] = smtp_server.messages
    signature = mail.message["DKIM-Signature"]
    tags = dict(part.strip().split("=", 1) for part in signature.split(";") if "=" in part)
    signed = {h.strip().lower() for h in tags["h"].replace(" ", "").split(":")}
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} <= signed
    assert tags["d"] == "example.org" and tags["s"] == "mail2025"
    assert dkim.verify(mail.raw, dnsfunc=_dns(record))
    # Tampering with the one-click header breaks the signature.
    forged = mail.raw.replace(b"List-Unsubscribe: <http://testserver/",
                              b"List-Unsubscribe: <http://evil.example/")  # fmt: skip
    assert forged != mail.raw and not dkim.verify(forged, dnsfunc=_dns(record))


def test_send_message_signs_too_and_half_configured_dkim_is_refused(
    settings, smtp_server, dkim_key
):
    key, record = dkim_key
    good = smtp_server.settings(
        settings, dkim_private_key=key, dkim_selector="mail2025", dkim_domain="example.org",
        mail_from="digest@example.org",
    )  # fmt: skip
    msg = EmailMessage()
    msg["To"], msg["Subject"] = "reset@example.net", "Reset your password"
    msg.set_content("Follow this link…")
    send_message(good, msg)
    assert dkim.verify(smtp_server.messages[0].raw, dnsfunc=_dns(record))
    half = smtp_server.settings(settings, dkim_selector="mail2025")
    with pytest.raises(DkimConfigError, match="DKIM needs all"):
        send_message(half, msg)


def test_digest_run_refuses_a_missing_key_before_sending(settings, smtp_server, tmp_path):
    settings = smtp_server.settings(settings, dkim_private_key=tmp_path / "missing.pem",
                                    dkim_selector="s", dkim_domain="example.org")  # fmt: skip
    add_papers(settings, DAY, [{"title": "Unsigned", "upvotes": 1}])
    add_subscribers(settings, ["nokey@example.net"])
    with pytest.raises(DkimConfigError, match="cannot read the DKIM key"):
        send_digests(settings, frequencies=("daily",), as_of=DAY)
    assert smtp_server.messages == []
