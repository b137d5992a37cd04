"""Code links found in the text of a paper (arXiv comments and abstracts).

arXiv metadata has no field for code, but authors write it in the comments ("Code:
https://github.com/org/repo") or the abstract. The first GitHub repository named there
becomes the paper's code link, so the feed shows a code badge as Hugging Face does.
"""

from __future__ import annotations

import re

_GITHUB = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
    r"(?P<repo>[A-Za-z0-9._-]{1,100})",
)
_NOT_REPOS = {"orgs", "topics", "features", "about", "sponsors", "settings", "marketplace"}


def code_link(*texts: str | None) -> str | None:
    """``https://github.com/owner/repo`` of the first repository named in ``texts``, if any."""
    for text in texts:
        for match in _GITHUB.finditer(text or ""):
            owner, repo = match["owner"], match["repo"].rstrip(".").removesuffix(".git")
            if owner.lower() not in _NOT_REPOS and repo and repo not in {".", ".."}:
                return f"https://github.com/{owner}/{repo}"
    return None
