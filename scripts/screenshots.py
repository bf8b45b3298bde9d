"""Screenshots of a rendered edition for the docs: desktop, phone and phone in dark mode.

    .venv/bin/python scripts/screenshots.py tests/golden/seeds-nl.html docs/edition

writes ``docs/edition-desktop.png`` (1200 px wide), ``docs/edition-phone-375.png``
and ``docs/edition-phone-375-dark.png`` (``prefers-color-scheme: dark``), each the
whole page, with headless Chromium (/usr/bin/chromium) through Playwright (a dev
dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"  # Debian's, as the browser tests use (.ci/system-deps.sh)
SHOTS = (("desktop", 1200, "light"), ("phone-375", 375, "light"), ("phone-375-dark", 375, "dark"))


def main(page_file: str, stem: str) -> None:
    url = Path(page_file).resolve().as_uri()
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, width, scheme in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
            page.goto(url)
            target = f"{stem}-{name}.png"
            page.screenshot(path=target, full_page=True)
            height = page.evaluate("document.documentElement.scrollHeight")
            print(f"{target}: {width} x {height} px ({scheme})")
            page.close()
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: screenshots.py PAGE.html OUTPUT-STEM")
    main(sys.argv[1], sys.argv[2])
