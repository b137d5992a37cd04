"""What a channel message says, and how it is written for each kind of channel.

A :class:`Message` (a digest, an alert or a test) is rendered three ways:

* ``markdown``: CommonMark, handed to apprise as Markdown, which converts it to each service's
  dialect (Slack mrkdwn, Discord and Mattermost Markdown, Matrix HTML);
* ``text``: plain lines with the link under each title (ntfy and other text-only services);
* ``json``: the signed webhook's body, papers in the daily-item shape of ``/api/daily_papers``.

Text from papers (titles, notes) is hostile until escaped: every ASCII punctuation sign that
Markdown or HTML could read is backslash-escaped (so ``<b>``, ``[x](y)``, ``**`` and ``<@id>``
show as typed), and a zero-width space follows every ``@`` so that ``@everyone``, ``@here``,
``@channel`` and ``@room`` never notify anyone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from dailypapers.store.queries.hf import daily_item_to_hf
from dailypapers.store.queries.papers import FeedItem
from dailypapers.texmath import plain

ZWSP = "\u200b"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#|<>~&!])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def defuse_mentions(text: str) -> str:
    return text.replace("@", "@" + ZWSP)


def clean(text: str) -> str:
    """One line, no control characters, mentions defused (every format starts here)."""
    return defuse_mentions(_SPACES.sub(" ", _CONTROL.sub("", text or "")).strip())


def md_escape(text: str) -> str:
    """``clean`` plus a backslash before every character Markdown or HTML could interpret."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


@dataclass
class Entry:
    item: FeedItem
    note: str = ""  # "12 upvotes", "matches author Ada Lovelace", a For-you reason…


@dataclass
class Section:
    name: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Message:
    event: str  # digest | alert | test
    key: str  # the send-log key: digest:daily:2025-03-18, alert:42, test:…
    title: str
    sections: list[Section] = field(default_factory=list)

    @property
    def paper_ids(self) -> list[str]:
        return list(dict.fromkeys(e.item.paper.id for s in self.sections for e in s.entries))

    @property
    def empty(self) -> bool:
        return not any(s.entries for s in self.sections)


def paper_url(base_url: str, paper_id: str) -> str:
    return f"{base_url.rstrip('/')}/papers/{paper_id}"


def to_markdown(msg: Message, base_url: str) -> str:
    lines = [f"**{md_escape(msg.title)}**"]
    for section in msg.sections:
        if not section.entries:
            continue
        lines += ["", f"**{md_escape(section.name)}**"]
        for e in section.entries:
            note = f" · {md_escape(e.note)}" if e.note else ""
            link = paper_url(base_url, e.item.paper.id)
            lines.append(f"- [{md_escape(plain(e.item.paper.title))}]({link}){note}")
    return "\n".join(lines)


def to_text(msg: Message, base_url: str) -> str:
    lines = [clean(msg.title)]
    for section in msg.sections:
        if not section.entries:
            continue
        lines += ["", clean(section.name)]
        for e in section.entries:
            note = f" ({clean(e.note)})" if e.note else ""
            lines += [f"- {clean(plain(e.item.paper.title))}{note}",
                      f"  {paper_url(base_url, e.item.paper.id)}"]  # fmt: skip
    return "\n".join(lines)


def to_json(msg: Message, base_url: str, channel_id: int, now: dt.datetime) -> bytes:
    """The webhook body: papers once each in the daily-item shape, sections list their ids."""
    seen: dict[str, Any] = {}
    for s in msg.sections:
        for e in s.entries:
            seen.setdefault(e.item.paper.id, daily_item_to_hf(e.item))
    body = {
        "event": msg.event, "delivery": f"{channel_id}:{msg.key}", "title": msg.title,
        "sent_at": now.replace(microsecond=0).isoformat() + "Z",
        "sections": [{"name": s.name, "papers": [e.item.paper.id for e in s.entries],
                      "notes": [e.note for e in s.entries]} for s in msg.sections],
        "papers": list(seen.values()), "url": base_url,
    }  # fmt: skip
    return orjson.dumps(body)
