"""Templates carry no inline script or style: the strict CSP (``script-src 'self'; style-src
'self'``) would silently block them, as it once did the "hide read" switch and the admin page."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "dailypapers" / "web" / "templates"
INLINE = re.compile(r"<style\b|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.I)


def test_no_inline_script_or_style_in_templates() -> None:
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for match in INLINE.finditer(path.read_text())]  # fmt: skip
    assert found == []
