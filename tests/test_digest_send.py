"""Digest runs against a real SMTP server: content, idempotency, failures, dry runs."""

from __future__ import annotations

import datetime as dt
import email
import threading
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from dailypapers.digest.send import DigestAborted, send_digests
from dailypapers.store import db
from dailypapers.store.models import DigestPaper, DigestSend, Subscription
from tests.digest_fixtures import (
    add_papers,
    add_subscribers,
    free_port,
    html_part,
    smtp_server_fixture,  # noqa: F401  (the smtp_server fixture)
    text_part,
)

TODAY = dt.date(2025, 3, 18)


def _corpus(settings) -> None:
    add_papers(settings, TODAY, [
        {"title": "Diffusion transformers for video", "upvotes": 40, "organization": "Acme AI",
         "authors": ["Ada Lovelace", "Alan Turing"], "arxiv_id": "2503.00001",
         "abstract": "We scale diffusion models with transformers."},
        {"title": "Graph neural networks at scale", "upvotes": 3, "categories": ["cs.SI"],
         "arxiv_id": "2503.00002", "abstract": "Message passing on huge graphs."},
        {"title": "A quiet paper on robotics", "categories": ["cs.RO"], "arxiv_id": "2503.00003",
         "abstract": "Robots grasping cups."},
    ])  # fmt: skip
    add_papers(settings, TODAY - dt.timedelta(days=10), [
        {"title": "Old diffusion paper", "upvotes": 99, "arxiv_id": "2502.00009"},
    ])  # fmt: skip


def test_digest_has_sections_links_and_one_click_headers(settings, smtp_server):
    settings = smtp_server.settings(settings)
    _corpus(settings)
    add_subscribers(settings, ["ada@example.org"], ["category:cs.RO", "diffusion"])
    summary = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert (summary.due, summary.sent) == (1, 1)
    [mail] = smtp_server.to("ada@example.org")
    msg = mail.message
    assert msg.is_multipart() and msg.get_content_type() == "multipart/alternative"
    unsubscribe = msg["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver/unsubscribe/") and unsubscribe.endswith(">")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_part(msg)
    # Trending first (papers with upvotes), then each topic with papers not shown yet.
    assert text.index("## Trending") < text.index("## Category cs.RO")
    assert "Diffusion transformers for video" in text and "Acme AI" in text
    assert "A quiet paper on robotics" in text
    assert "Old diffusion paper" not in text  # outside the window
    assert "Matching" not in text  # the diffusion paper was already shown under Trending
    assert text.count("Diffusion transformers for video") == 1
    assert "https://arxiv.org/abs/2503.00001" in text
    assert unsubscribe[1:-1] in text and "/subscriptions/manage/" in text
    assert "Ada Lovelace, Alan Turing" in html_part(msg)


def test_second_run_sends_nothing_and_next_day_has_no_repeat(settings, smtp_server):
    settings = smtp_server.settings(settings)
    _corpus(settings)
    add_subscribers(settings, ["a@example.org", "b@example.org"], ["graph"])
    assert send_digests(settings, frequencies=("daily",), as_of=TODAY).sent == 2
    again = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert (again.due, again.sent) == (0, 0)
    assert len(smtp_server.messages) == 2
    # Tomorrow nothing new arrived: the same papers are never mailed twice, so no mail.
    tomorrow = send_digests(settings, frequencies=("daily",), as_of=TODAY + dt.timedelta(days=1))
    assert (tomorrow.due, tomorrow.sent, tomorrow.empty) == (2, 0, 2)
    add_papers(settings, TODAY + dt.timedelta(days=1), [{"title": "Graph transformers"}])
    later = send_digests(settings, frequencies=("daily",), as_of=TODAY + dt.timedelta(days=1))
    assert later.sent == 2
    newest = smtp_server.to("a@example.org")[-1]
    assert "Graph transformers" in text_part(newest.message)
    assert "Graph neural networks at scale" not in text_part(newest.message)
    with db.session_scope(settings) as s:
        assert s.scalar(select(func.count()).select_from(DigestSend)) == 4
        # Two trending papers each on the first day, then the one new paper each.
        assert s.scalar(select(func.count()).select_from(DigestPaper)) == 2 * 2 + 2 * 1


def test_nothing_to_say_means_no_mail(settings, smtp_server):
    settings = smtp_server.settings(settings)
    add_papers(settings, TODAY, [{"title": "Unvoted paper"}])
    add_subscribers(settings, ["quiet@example.org"], ["author:Nobody Known"])
    summary = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert (summary.sent, summary.empty) == (0, 1)
    assert smtp_server.messages == []


def test_hostile_title_is_escaped_in_html(settings, smtp_server):
    settings = smtp_server.settings(settings)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & co'
    add_papers(settings, TODAY, [{"title": hostile, "upvotes": 5, "organization": "<b>Org</b>"}])
    add_subscribers(settings, ["h@example.org"])
    send_digests(settings, frequencies=("daily",), as_of=TODAY)
    html = html_part(smtp_server.to("h@example.org")[0].message)
    assert "<script>" not in html and "<img src=x" not in html and "<b>Org</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&amp; co" in html


def test_math_in_titles_reads_as_text_in_both_parts(settings, smtp_server):
    settings = smtp_server.settings(settings)
    add_papers(settings, TODAY, [{"title": r"$\alpha$-Divergence bounds <i>in</i> $\mathcal{O}(n)$",
                                  "abstract": r"We show $x \ge 0$ for $<script>$ inputs.",
                                  "upvotes": 5}])  # fmt: skip
    add_subscribers(settings, ["m@example.org"])
    send_digests(settings, frequencies=("daily",), as_of=TODAY)
    mail = smtp_server.to("m@example.org")[0].message
    text, html = text_part(mail), html_part(mail)
    assert "\u03b1-Divergence bounds <i>in</i> \U0001d4aa(n)" in text and "$" not in text
    assert "\u03b1-Divergence bounds &lt;i&gt;in&lt;/i&gt; \U0001d4aa(n)" in html
    assert "\u2265" in text and "<script>" not in html and "&lt;script&gt;" in html


def test_greylisting_is_retried_then_delivered(settings, smtp_server):
    settings = smtp_server.settings(settings)
    _corpus(settings)
    add_subscribers(settings, ["grey@example.org"])
    smtp_server.handler.greylist = 2  # 450 twice, then 250
    summary = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert (summary.sent, summary.deferred) == (1, 0)
    assert len(smtp_server.to("grey@example.org")) == 1
    with db.session_scope(settings) as s:
        assert s.scalar(select(DigestSend.attempts)) == 1


def test_dropped_connection_is_retried(settings, smtp_server):
    settings = smtp_server.settings(settings)
    _corpus(settings)
    add_subscribers(settings, ["d1@example.org", "d2@example.org"])
    smtp_server.handler.drop = 1
    summary = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert summary.sent == 2
    assert [len(smtp_server.to(a)) for a in ("d1@example.org", "d2@example.org")] == [1, 1]


def test_persistent_4xx_defers_and_a_later_run_delivers(settings, smtp_server):
    settings = smtp_server.settings(settings, mail_retries=1)
    _corpus(settings)
    add_subscribers(settings, ["late@example.org"])
    smtp_server.handler.greylist = 2
    first = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert (first.sent, first.deferred) == (0, 1)
    second = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert second.sent == 1
    assert len(smtp_server.to("late@example.org")) == 1


def test_5xx_recipient_is_marked_bounced_and_not_mailed_again(settings, smtp_server):
    settings = smtp_server.settings(settings)
    _corpus(settings)
    add_subscribers(settings, ["ok@example.org", "gone@example.org", "ok2@example.org"])
    smtp_server.handler.reject = {"gone@example.org"}
    summary = send_digests(settings, frequencies=("daily",), as_of=TODAY)
    assert (summary.sent, summary.bounced) == (2, 1)
    with db.session_scope(settings) as s:
        gone = s.scalar(select(Subscription).where(Subscription.email == "gone@example.org"))
        assert gone.status == "bounced" and "550" in gone.bounce_reason
    smtp_server.handler.reject = set()
    add_papers(settings, TODAY + dt.timedelta(days=1), [{"title": "Fresh", "upvotes": 9}])
    later = send_digests(settings, frequencies=("daily",), as_of=TODAY + dt.timedelta(days=1))
    assert later.due == 2 and smtp_server.to("gone@example.org") == []


def test_dry_run_writes_eml_files_and_sends_nothing(settings, smtp_server, tmp_path):
    settings = smtp_server.settings(settings)
    _corpus(settings)
    add_subscribers(settings, ["dry@example.org", "dry2@example.org"], frequency="weekly")
    out = tmp_path / "out"
    summary = send_digests(settings, as_of=TODAY, dry_run_dir=out, only="dry@example.org")
    files = sorted(out.glob("*.eml"))
    assert summary.written == 1 and len(files) == 1 and "dry@example.org" in files[0].name
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert parsed["To"] == "dry@example.org" and "2025-W12" in files[0].name
    assert "Diffusion transformers for video" in text_part(parsed)
    assert smtp_server.messages == []
    # The dry run did not count as sent: the real run still mails.
    assert send_digests(settings, as_of=TODAY, only="dry@example.org").sent == 1


def test_unreachable_server_aborts_the_run_and_a_rerun_sends_everything(settings, smtp_server):
    up = smtp_server.settings(settings, mail_retries=1)
    down = up.model_copy(update={"smtp_port": free_port()})
    _corpus(up)
    add_subscribers(up, [f"u{i}@example.org" for i in range(5)])
    with pytest.raises(DigestAborted, match="run again"):
        send_digests(down, frequencies=("daily",), as_of=TODAY)
    with db.session_scope(up) as s:
        assert s.scalar(select(func.count()).select_from(DigestSend)
                        .where(DigestSend.status == "sent")) == 0  # fmt: skip
    assert send_digests(up, frequencies=("daily",), as_of=TODAY).sent == 5
    assert len(smtp_server.messages) == 5


def test_unsubscribing_during_a_run_stops_the_pending_mail(settings, smtp_server):
    settings = smtp_server.settings(settings, mail_connections=1)
    _corpus(settings)
    emails = [f"m{i}@example.org" for i in range(6)]
    add_subscribers(settings, emails)
    smtp_server.handler.delay = 0.2
    result = {}
    runner = threading.Thread(target=lambda: result.update(
        summary=send_digests(settings, frequencies=("daily",), as_of=TODAY)))  # fmt: skip
    runner.start()
    smtp_server.wait_for(1)
    with db.session_scope(settings) as s:
        last = s.scalar(select(Subscription).where(Subscription.email == emails[-1]))
        last.status = "unsubscribed"
    runner.join(30)
    assert (result["summary"].sent, result["summary"].skipped) == (5, 1)
    assert smtp_server.to(emails[-1]) == []
