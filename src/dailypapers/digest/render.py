"""Rendering mails from the template files in ``digest/templates/`` (HTML + plain text).

Rendering knows nothing about SMTP: it returns an ``EmailMessage`` that the sender delivers
or a dry run writes to disk. HTML templates are autoescaped, so a hostile paper title arrives
as text, never as markup.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dailypapers.config import Settings
from dailypapers.digest.compose import Digest, MailPaper
from dailypapers.digest.tokens import make_manage_token
from dailypapers.mail.smtp import envelope_sender

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
    env.filters["byline"] = byline
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
    if paper.github_repo:
        links["code"] = paper.github_repo
    if paper.project_page:
        links["project"] = paper.project_page
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


def render_digest(
    settings: Settings, digest: Digest, token_version: int, message_key: str
) -> EmailMessage:
    """The digest mail with RFC 8058 one-click unsubscribe headers."""
    links = manage_links(settings, digest.subscription_id, token_version)
    count = len(digest.paper_ids)
    when = "this week" if digest.frequency == "weekly" else digest.window.end.strftime("%d %b %Y")
    subject = f"{settings.site_name}: {count} new paper{'s' * (count != 1)} · {when}"
    context = {
        "settings": settings, "digest": digest, "sections": digest.sections, "subject": subject,
        "links_for": lambda p: paper_links(settings, p), **links,
    }  # fmt: skip
    text, html = render_pair("digest", **context)
    msg = _message(settings, digest.email, subject, text, html)
    msg["Message-ID"] = stable_message_id(settings, message_key)
    msg["List-Id"] = _list_id(settings)
    msg["List-Unsubscribe"] = f"<{links['unsubscribe_url']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg


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
