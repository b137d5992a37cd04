"""Code and project links written in abstracts and arXiv comments.

arXiv has no field for a paper's code: authors write it into the abstract or the comment
("Code: https://github.com/…", "Project page: https://….github.io/"). ``code_links`` finds the
first GitHub or GitLab repository (the code field) and the first project page (a
``github.io`` site, a Hugging Face space, model or dataset, or a URL after "project page",
"website" or "homepage"), so that ``has:code``, the Code badge and trending by code work on
arXiv papers. Hand-written: the forms are a handful of URL shapes no library knows about.
"""

from __future__ import annotations

import re

__all__ = ["code_links"]

_URL = re.compile(r"https?://[^\s{}<>\"'\\]+", re.IGNORECASE)
_REPO = re.compile(
    r"^https?://(?:www\.)?(github\.com|gitlab\.com)/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)",
    re.IGNORECASE,
)
_NOT_OWNERS = frozenset({"features", "about", "orgs", "settings", "topics", "sponsors",
                         "marketplace", "explore", "login", "search", "users"})  # fmt: skip
_PROJECT_SITE = re.compile(
    r"^https?://(?:[A-Za-z0-9-]+\.github\.io|huggingface\.co/(?:spaces|datasets)?/?[^/]+/[^/]+)",
    re.IGNORECASE,
)
_PROJECT_CUE = re.compile(
    r"(?:project|website|homepage|home page|demo)\s*(?:page)?\s*(?:at)?\s*:?\s*$", re.IGNORECASE
)
_TRAILING = ".,;:)]}>'\"*"


def _clean(url: str) -> str:
    url = url.rstrip(_TRAILING)
    return url.removesuffix(".git") if "github.com" in url or "gitlab.com" in url else url


def _repo(url: str) -> str | None:
    match = _REPO.match(url)
    if match is None or match.group(2).lower() in _NOT_OWNERS:
        return None
    host, owner, name = match.group(1).lower(), match.group(2), match.group(3)
    name = name.rstrip(_TRAILING).removesuffix(".git")
    if name.lower().endswith(".github.io"):  # a project site kept in a repository
        return None
    return f"https://{host}/{owner}/{name}" if name else None


def code_links(*texts: str | None) -> tuple[str | None, str | None]:
    """``(repository, project page)`` found in ``texts`` (abstract, comment), either None."""
    repo = project = None
    for text in texts:
        if not text:
            continue
        for match in _URL.finditer(text):
            url = _clean(match.group(0))
            cue = bool(_PROJECT_CUE.search(text[max(0, match.start() - 30) : match.start()]))
            found = _repo(url)
            if found and repo is None and not cue:
                repo = found
            elif (
                project is None
                and (not found or found != repo)
                and (cue or _PROJECT_SITE.match(url))
            ):
                project = url
    return repo, project
