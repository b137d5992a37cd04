"""WCAG AA contrast of the theme colours in both themes, computed from the stylesheet itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "src" / "dailypapers" / "web" / "static"
AA_TEXT = 4.5  # normal-size text (WCAG 2.x, 1.4.3)
# (foreground, background, what it is): every pair the pages draw text with.
PAIRS = [
    ("--text", "--bg", "body text"),
    ("--text", "--surface", "text on cards and buttons"),
    ("--text-2", "--surface", "secondary text"),
    ("--muted", "--bg", "muted text"),
    ("--muted", "--surface", "muted text on cards"),
    ("--muted", "--surface-2", "muted text on the search field and tabs"),
    ("--accent", "--bg", "links"),
    ("--accent", "--surface", "links on cards"),
    ("--accent", "--accent-soft", "current item, voted button"),
    ("--accent-text", "--accent", "primary buttons"),
    ("--accent-text", "--accent-2", "primary buttons, hovered"),
    ("--danger", "--surface", "Delete and Revoke"),
    ("--danger", "--bg", "Delete and Revoke"),
    ("--danger-text", "--danger", "confirm buttons"),
    ("--code", "--code-soft", "code badges"),
    ("--warn", "--surface", "warnings"),
]


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\b", block))


def themes() -> dict[str, dict[str, str]]:
    """The light ``:root`` variables, and the dark ones laid over them."""
    css = (STATIC / "style.css").read_text()
    light = _variables(re.search(r":root\s*\{(.*?)\}", css, re.S).group(1))
    dark_block = re.search(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    return {"light": light, "dark": light | _variables(dark_block.group(1))}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_theme_colours_meet_wcag_aa(theme: str) -> None:
    colours = themes()[theme]
    failing = []
    for fg, bg, what in PAIRS:
        ratio = contrast(colours[fg], colours[bg])
        if ratio < AA_TEXT:
            failing.append(f"{what}: {fg} {colours[fg]} on {bg} {colours[bg]} = {ratio:.2f}")
    assert not failing, failing


def test_stylesheets_use_the_theme_for_danger_text() -> None:
    """Hard-coded reds were unreadable in dark mode (2.74:1): colours come from variables."""
    community = (STATIC / "community.css").read_text()
    assert re.search(r"\.danger\s*\{\s*color:\s*var\(--danger\)", community)
