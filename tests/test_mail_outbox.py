"""``MAIL_OUTBOX_DIR``: mails become .eml files instead of SMTP (development and the demo).

No SMTP server listens in these tests (the configured port is closed), so a mail that tried
SMTP would fail; the outbox must take it instead, whole, with its links in the log.
"""

from __future__ import annotations

import email
import logging
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.mail import send_message
from dailypapers.ops.doctor import check_smtp
from tests.conftest import _free_port
from tests.test_community_pages import csrf


@pytest.fixture
def outbox_settings(settings, tmp_path: Path):
    return settings.model_copy(update={"mail_outbox_dir": tmp_path / "outbox",
                                       "smtp_port": _free_port()})  # fmt: skip


def _mails(folder: Path) -> list[EmailMessage]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        assert isinstance(message, EmailMessage)
        out.append(message)
    return out


def test_a_mail_is_written_whole_and_its_links_logged(outbox_settings, caplog) -> None:
    message = EmailMessage()
    message["To"] = "Ada <ada@example.org>"
    message["From"] = outbox_settings.mail_from
    message["Subject"] = "Réinitialiser ✓"
    message.set_content("Open https://example.org/reset/abc.def, then https://example.org/x.\n")
    with caplog.at_level(logging.WARNING, logger="dailypapers.mail.outbox"):
        send_message(outbox_settings, message)
    (stored,) = _mails(outbox_settings.mail_outbox_dir)
    assert stored["Subject"] == "Réinitialiser ✓" and stored["To"] == "Ada <ada@example.org>"
    assert stored["Message-ID"] and stored["Date"]  # prepared as for SMTP
    assert "https://example.org/reset/abc.def" in stored.get_content()
    assert "link: https://example.org/reset/abc.def\n" in caplog.text
    assert "link: https://example.org/x\n" in caplog.text  # the full stop is not the link's
    assert not list(outbox_settings.mail_outbox_dir.glob("*.partial"))


def test_signing_up_without_a_mail_server_works_through_the_outbox(outbox_settings) -> None:
    from dailypapers.web.app import create_app

    with TestClient(create_app(outbox_settings)) as client:
        form = {
            "username": "newbie",
            "email": "newbie@example.org",
            "password": "correct-horse-battery",
            "csrf_token": csrf(client, "/signup"),
        }
        answer = client.post("/signup", data=form)
        assert answer.status_code == 200 and "Check your inbox" in answer.text
        (mail,) = _mails(outbox_settings.mail_outbox_dir)
        assert mail["To"] == "newbie@example.org"
        link = next(w for w in mail.get_body(("plain",)).get_content().split()
                    if "/signup/confirm/" in w)  # fmt: skip
        path = link.removeprefix("http://testserver")
        done = client.post(path, data={"csrf_token": csrf(client, path)}, follow_redirects=False)
        assert done.status_code == 303
        assert "newbie" in client.get("/").text


def test_doctor_says_mails_are_not_sent(outbox_settings) -> None:
    check = check_smtp(outbox_settings)
    assert check.level == "warn" and str(outbox_settings.mail_outbox_dir) in check.found
