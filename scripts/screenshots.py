"""Screenshots of the main pages at 1280 and 360 px in headless Chromium, for docs/screenshots/.

    python scripts/screenshots.py http://127.0.0.1:8000 [--mail PATH.html] [--token TOKEN]
                                  [--out docs/screenshots]

Run it against a server on the demo data (``dailypapers demo``). ``--mail`` adds a digest mail
(an ``.html`` part written by ``dailypapers digest send --dry-run --to-dir …``); ``--token`` (an
API token of ``dailypapers users token``) adds the signed-in pages: library and For you.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}
MAX_HEIGHT = 2400  # long lists are cut: the top of a page shows what it looks like


def _first_paper(page: Page, base: str) -> str:
    page.goto(base + "/")
    href = page.locator(".paper-title a").first.get_attribute("href")
    return href or "/"


SIGNED_IN = {"library": "/library", "for-you": "/for-you"}


def shoot(base: str, out: Path, mail: Path | None, token: str | None = None) -> list[Path]:
    """Save one PNG per page and width; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in WIDTHS.values():
            page = browser.new_page(viewport={"width": width, "height": height})
            paper = _first_paper(page, base)
            targets = {
                "front": base + "/",
                "paper": base + paper,
                "search": base + "/search?q=diffusion+models",
                "docs": base + "/docs",
            }
            if mail is not None:
                targets["digest-mail"] = mail.resolve().as_uri()
            if token is not None:
                targets |= {name: base + path for name, path in SIGNED_IN.items()}
            for name, url in targets.items():
                signed_in = token is not None and name in SIGNED_IN
                auth = {"Authorization": f"Bearer {token}"} if signed_in else {}
                page.set_extra_http_headers(auth)
                page.goto(url, wait_until="networkidle")
                path = out / f"{name}-{width}.png"
                tall = page.evaluate("document.documentElement.scrollHeight")
                clip = {"x": 0, "y": 0, "width": width, "height": min(tall, MAX_HEIGHT)}
                page.screenshot(path=str(path), full_page=True, clip=clip)
                written.append(path)
            page.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="server URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--mail", type=Path, help="a digest mail's HTML file")
    parser.add_argument("--token", help="an API token: adds the library and For-you pages")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    for path in shoot(re.sub(r"/+$", "", args.base), args.out, args.mail, args.token):
        print(path)


if __name__ == "__main__":
    main()
