"""The one URL policy for links that come from outside (imports, ingestion, authors, the API).

A paper's code, project and PDF links are shown on pages, in Atom feeds, digest mails, the
Markdown view and the JSON API. Only absolute ``http`` and ``https`` URLs with a host are
kept: ``javascript:``, ``data:``, ``vbscript:``, relative and protocol-relative links are
refused, however they are spelt (``  JaVaScRiPt:``, ``java\\tscript:``, a leading NUL).
The policy runs when data enters (``store.papers.upsert_records``, ``community.claims``) and
again in every output (``PaperView`` and each renderer), so a row written before the policy,
or by hand, never reaches a reader as a live link. Migration 0007 cleaned the old rows.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500  # the column size of papers.github_repo / project_page / pdf_url
ALLOWED_SCHEMES = ("http", "https")
# C0 controls, DEL, C1 controls and Unicode format characters that browsers ignore or strip
# inside a URL (so ``java\tscript:`` would still run) and that have no business in a link.
_INVISIBLE = re.compile("[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_EDGES = re.compile("^[\x00-\x20\\s]+|[\x00-\x20\\s]+$")


def clean_url(value: object) -> str | None:
    """``value`` as a safe absolute http(s) URL, or None when it is not one.

    Leading and trailing white space and control characters are stripped; a URL that still
    contains white space or control characters inside is refused rather than repaired.
    """
    if not isinstance(value, str):
        return None
    text = _EDGES.sub("", value)
    if not text or len(text) > MAX_URL_LENGTH or _INVISIBLE.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced ``[`` in the host
        return None
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        return None
    return text


def is_safe_url(value: object) -> bool:
    """Whether ``value`` passes the policy unchanged (after trimming outer white space)."""
    return clean_url(value) is not None
