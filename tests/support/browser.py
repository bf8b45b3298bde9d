"""Headless Chromium (Debian's ``/usr/bin/chromium``) through Playwright's sync API,
plus a static file server for archive pages.

Fixtures: ``browser`` (session), ``page`` (per test), ``static_server`` (factory),
``screenshot`` (saves into ``test-artifacts/``). Helpers: ``save_screenshot``,
``axe_violations``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support import ARTIFACTS_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def save_screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as ``test-artifacts/NAME.png`` and return its path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "page"
    path = ARTIFACTS_DIR / f"{safe}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (bundled with axe-playwright-python) on ``page``; return its violations.

    Each violation is axe's dict (``id``, ``impact``, ``help``, ``nodes``...); ``[]`` is clean.
    """
    from axe_playwright_python.sync_playwright import Axe

    violations: list[dict[str, Any]] = Axe().run(page).response["violations"]
    return violations


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Session-wide headless Chromium (Playwright ``Browser``), Debian's build.

    Skips only when /usr/bin/chromium is missing (install it with .ci/system-deps.sh).
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found; run .ci/system-deps.sh to install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own browser context (no cookies or storage shared between
    tests), viewport 1280x800, locale nl-NL, timezone Europe/Amsterdam."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
    )
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``screenshot(label) -> Path``: save the ``page`` fixture's page as
    ``test-artifacts/<test name>-<label>.png``."""

    def take(label: str = "page") -> Path:
        return save_screenshot(page, f"{request.node.name}-{label}")

    return take


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def serve_directory(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve ``directory`` over HTTP on a free port of 127.0.0.1; return server and URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    host, port = httpd.server_address[:2]
    return httpd, f"http://{host!s}:{port}"


@pytest.fixture
def static_server() -> Iterator[Callable[[Path | str], str]]:
    """Factory ``static_server(directory) -> base URL`` (``http://127.0.0.1:PORT``, no
    trailing slash) serving that folder read-only; all servers stop after the test."""
    servers: list[ThreadingHTTPServer] = []

    def serve(directory: Path | str) -> str:
        httpd, url = serve_directory(Path(directory))
        servers.append(httpd)
        return url

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()
