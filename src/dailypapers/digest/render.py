"""Rendering mails from the template files in ``digest/templates/`` (HTML + plain text).

Rendering knows nothing about SMTP: it returns an ``EmailMessage`` that the sender delivers
or a dry run writes to disk. HTML templates are autoescaped, so a hostile paper title arrives
as text, never as markup.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dailypapers.config import Settings
from dailypapers.digest.compose import Digest, MailPaper
from dailypapers.digest.tokens import make_manage_token
from dailypapers.mail.mime import address_header, alternative
from dailypapers.mail.smtp import envelope_sender
from dailypapers.store.urls import clean_url
from dailypapers.texmath import plain

TEMPLATES = Path(__file__).parent / "templates"
ABSTRACT_CHARS = 320


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One Jinja environment for all mail templates (autoescape on ``.html``)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = short_abstract
    env.filters["plain_tex"] = plain  # mail clients do not render math: read it as text
    env.filters["byline"] = byline
    env.filters["facts"] = facts
    return env


def short_abstract(text: str, limit: int = ABSTRACT_CHARS) -> str:
    """The abstract cut at a word boundary near ``limit`` characters."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + " …"


def byline(paper: MailPaper) -> str:
    """``A, B, C et al.`` or ``12 authors`` when names are unknown."""
    if paper.authors:
        names = ", ".join(paper.authors[:3])
        return names + (" et al." if len(paper.authors) > 3 else "")
    return f"{paper.author_count} authors" if paper.author_count else ""


def facts(paper: MailPaper) -> str:
    """``A, B et al. · Org · 3 upvotes``, leaving out what is unknown."""
    votes = f"{paper.upvotes} upvote{'s' * (paper.upvotes != 1)}"
    return " · ".join(part for part in (byline(paper), paper.organization or "", votes) if part)


def site_url(settings: Settings, path: str) -> str:
    """An absolute link on the public site."""
    return settings.base_url.rstrip("/") + path


def manage_links(settings: Settings, subscription_id: int, token_version: int) -> dict[str, str]:
    """Preferences and one-click unsubscribe URLs for a subscriber."""
    token = make_manage_token(settings, subscription_id, token_version)
    return {
        "manage_url": site_url(settings, f"/subscriptions/manage/{token}"),
        "unsubscribe_url": site_url(settings, f"/unsubscribe/{token}"),
    }


def paper_links(settings: Settings, paper: MailPaper) -> dict[str, str]:
    """The links shown under a paper: our page first, then arXiv, PDF, code, project."""
    links = {"page": site_url(settings, f"/papers/{quote(paper.id, safe='')}")}
    if paper.arxiv_id:
        links["arXiv"] = f"https://arxiv.org/abs/{paper.arxiv_id}"
        links["PDF"] = f"https://arxiv.org/pdf/{paper.arxiv_id}"
    for label, url in (("code", paper.github_repo), ("project", paper.project_page)):
        if (safe := clean_url(url)) is not None:  # the URL policy, again on the way out
            links[label] = safe
    return links


def _list_id(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"{settings.site_name} digest <digest.{host}>"


def stable_message_id(settings: Settings, key: str) -> str:
    """A Message-ID derived from ``key``: a resent mail keeps it, so inboxes can fold repeats."""
    digest = hashlib.sha256(f"{settings.secret_key}:{key}".encode()).hexdigest()[:24]
    domain = envelope_sender(settings).rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def _message(settings: Settings, to: str, subject: str, text: str, html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def render_pair(name: str, **context: Any) -> tuple[str, str]:
    """``(text, html)`` from ``name.txt`` and ``name.html``."""
    env = environment()
    return env.get_template(f"{name}.txt").render(**context), env.get_template(
        f"{name}.html"
    ).render(**context)


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A rendered digest in wire form (CRLF lines, not yet DKIM-signed)."""

    to: str
    message_id: str
    data: bytes


class DigestRenderer:
    """Renders the digests of one run. A paper looks the same in every digest it is in, so
    its HTML and text blocks are rendered once per run and reused (10,000 digests share a
    few thousand papers)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        env = environment()
        self._templates = {name: env.get_template(name) for name in
                           ("digest.txt", "digest.html", "_paper.txt", "_paper.html")}  # fmt: skip
        self._html: dict[str, Markup] = {}
        self._text: dict[str, str] = {}
        self._from = address_header(settings.mail_from)
        self._list_id = _list_id(settings)

    def paper_html(self, paper: MailPaper) -> Markup:
        block = self._html.get(paper.id)
        if block is None:
            html = self._templates["_paper.html"].render(
                p=paper, links=paper_links(self.settings, paper))  # fmt: skip
            block = Markup(html)  # noqa: S704  (output of an autoescaping template)
            self._html[paper.id] = block
        return block

    def paper_text(self, paper: MailPaper) -> str:
        block = self._text.get(paper.id)
        if block is None:
            block = self._templates["_paper.txt"].render(
                p=paper, links=paper_links(self.settings, paper))  # fmt: skip
            self._text[paper.id] = block
        return block

    def render(self, digest: Digest, token_version: int, message_key: str) -> OutgoingMail:
        """The digest mail with RFC 8058 one-click unsubscribe headers."""
        settings = self.settings
        links = manage_links(settings, digest.subscription_id, token_version)
        count = len(digest.paper_ids)
        when = ("this week" if digest.frequency == "weekly"
                else digest.window.end.strftime("%d %b %Y"))  # fmt: skip
        subject = f"{settings.site_name}: {count} new paper{'s' * (count != 1)} · {when}"
        context = {
            "settings": settings, "digest": digest, "sections": digest.sections,
            "subject": subject, "paper_html": self.paper_html, "paper_text": self.paper_text,
            **links,
        }  # fmt: skip
        text = self._templates["digest.txt"].render(context)
        html = self._templates["digest.html"].render(context)
        message_id = stable_message_id(settings, message_key)
        headers = [
            ("From", self._from),
            ("To", digest.email),
            ("Subject", subject),
            ("Date", formatdate(usegmt=True)),
            ("Message-ID", message_id),
            ("List-Id", self._list_id),
            ("List-Unsubscribe", f"<{links['unsubscribe_url']}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
        return OutgoingMail(digest.email, message_id, alternative(headers, text, html))


def render_digest(
    settings: Settings, digest: Digest, token_version: int, message_key: str
) -> OutgoingMail:
    """One digest mail (a run renders many through one :class:`DigestRenderer`)."""
    return DigestRenderer(settings).render(digest, token_version, message_key)


def render_confirmation(
    settings: Settings, email: str, confirm_url: str, *, already: bool, frequency: str,
    topics: list[str],
) -> EmailMessage:  # fmt: skip
    """The double opt-in mail (or, for a confirmed address, "confirm these changes")."""
    subject = (
        f"Confirm the changes to your {settings.site_name} digest"
        if already
        else f"Confirm your {settings.site_name} digest subscription"
    )
    text, html = render_pair(
        "confirm", settings=settings, confirm_url=confirm_url, already=already,
        frequency=frequency, topics=topics, subject=subject,
    )  # fmt: skip
    msg = _message(settings, email, subject, text, html)
    msg["Message-ID"] = make_msgid(domain=envelope_sender(settings).rpartition("@")[2] or None)
    return msg
