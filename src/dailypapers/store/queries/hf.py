"""The Hugging Face papers API shapes as plain dicts, and a paper as Markdown.

Serializers of the read layer's view models, shared by the JSON API (``web/api``), agents
(the MCP server) and channels (the signed webhook). They build plain dicts (fast, encoded with
orjson). Field names follow what the ``huggingface_hub`` client reads (``PaperInfo`` in
``hf_api.py``) and what ``huggingface.co/api/daily_papers`` returns: unknown values are left
out rather than faked. Two additions beyond Hugging Face's fields, ignored by its client:
``categories`` (arXiv categories) and ``numAuthors`` (known even when the names are not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from dailypapers.store.queries.papers import FeedItem, PaperView, org_slug


def iso_datetime(day: dt.date | None) -> str | None:
    """A date as Hugging Face writes timestamps: ``2025-03-18T00:00:00.000Z``."""
    return f"{day.isoformat()}T00:00:00.000Z" if day else None


def _object_id(kind: str, value: str) -> str:
    """A stable 24-hex id in the style of Hugging Face's ``_id`` fields."""
    return hashlib.sha1(f"{kind}:{value}".encode(), usedforsecurity=False).hexdigest()[:24]


def _user(name: str) -> dict[str, Any]:
    return {
        "_id": _object_id("user", name),
        "user": name,
        "fullname": name,
        "avatarUrl": "",
        "type": "user",
        "isPro": False,
    }


def _organization(name: str) -> dict[str, Any]:
    slug = org_slug(name) or name
    return {"_id": _object_id("org", slug), "name": slug, "fullname": name, "avatarUrl": ""}


def _authors(paper: PaperView) -> list[dict[str, Any]]:
    return [
        {"_id": _object_id(f"author:{paper.id}:{i}", name), "name": name, "hidden": False}
        for i, name in enumerate(paper.authors)
    ]


def paper_to_hf(item: FeedItem) -> dict[str, Any]:
    """The paper object: ``GET /api/papers/{id}`` and the ``paper`` of a daily item."""
    paper = item.paper
    out: dict[str, Any] = {
        "id": paper.id,
        "authors": _authors(paper),
        "publishedAt": iso_datetime(paper.published_on or item.feed_date),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "numComments": paper.num_comments,
        "categories": paper.categories,
        "numAuthors": paper.num_authors,
    }
    optional = {
        "submittedOnDailyAt": iso_datetime(item.feed_date),
        "submittedOnDailyBy": _user(item.submitter) if item.submitter else None,
        "organization": _organization(paper.organization) if paper.organization else None,
        "githubRepo": paper.github_repo,
        "githubStars": paper.github_stars,
        "projectPage": paper.project_page,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def daily_item_to_hf(item: FeedItem) -> dict[str, Any]:
    """One element of ``GET /api/daily_papers`` (and of ``/api/papers/search``)."""
    paper = paper_to_hf(item)
    out: dict[str, Any] = {
        "paper": paper,
        "publishedAt": iso_datetime(item.feed_date or item.paper.published_on),
        "title": item.paper.title,
        "summary": item.paper.abstract,
        "numComments": item.paper.num_comments,
        "isAuthorParticipating": False,
    }
    if "submittedOnDailyBy" in paper:
        out["submittedBy"] = paper["submittedOnDailyBy"]
    # Hugging Face nests these in ``paper`` only, but its client reads them at the top level.
    for key in ("organization", "githubRepo", "githubStars", "projectPage"):
        if key in paper:
            out[key] = paper[key]
    return out


# --- markdown ----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown syntax, raw HTML included, so titles render as plain text."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def paper_markdown(item: FeedItem, base_url: str) -> str:
    """``GET /papers/{id}.md``: the paper's metadata and abstract as a Markdown document."""
    p = item.paper
    authors = ", ".join(p.authors) if p.authors else f"{p.num_authors} authors"
    facts = [f"- **Authors:** {md_escape(authors)}"]
    if p.organization:
        facts.append(f"- **Organization:** {md_escape(p.organization)}")
    if p.published_on:
        facts.append(f"- **Published:** {p.published_on.isoformat()}")
    if item.feed_date:
        facts.append(f"- **In the daily feed:** {item.feed_date.isoformat()}")
    if p.categories:
        facts.append(f"- **Categories:** {md_escape(', '.join(p.categories))}")
    facts.append(f"- **Upvotes:** {p.upvotes}")
    links = [f"[Paper page]({base_url.rstrip('/')}/papers/{p.id})"]
    links += [f"[{label}](<{url}>)" for label, url in _links(p)]
    return (
        f"# {md_escape(p.title)}\n\n" + "\n".join(facts) + "\n- **Links:** " + " · ".join(links)
        + f"\n\n## Abstract\n\n{md_escape(p.abstract) or '_No abstract._'}\n"
    )  # fmt: skip


def _links(p: PaperView) -> list[tuple[str, str]]:
    found = [("arXiv", p.abs_url), ("PDF", p.pdf_link), ("Code", p.github_repo),
             ("Project page", p.project_page)]  # fmt: skip
    return [(label, url.replace(">", "%3E")) for label, url in found if url]
