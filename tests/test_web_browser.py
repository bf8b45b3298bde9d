"""The subscription web app in headless Chromium, as a reader uses it: sign up,
open the confirmation mail from the outbox, follow its link, change the
preferences, pause, resume, unsubscribe. Every page is saved as a screenshot
in test-artifacts/ and checked with axe-core.

The app runs under a real uvicorn server in a thread with its own event loop
(Playwright's sync API owns the main thread's loop).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from digest.classify.regions import load_regions
from digest.config import PROJECT_ROOT
from digest.store import Store
from digest.store.subscribers import get_subscriber
from digest.subscribers import Subscriber
from digest.web import create_app
from tests.support import free_port
from tests.support.browser import axe_violations
from tests.test_web import SIGNER, link_in, read_mail, web_config

SERIOUS = ("serious", "critical")


@dataclass
class LiveSite:
    url: str
    store: Store
    outbox: Path

    def mails(self) -> list[EmailMessage]:
        files = sorted(self.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [read_mail(path) for path in files]

    def subscriber(self, address: str) -> Subscriber:
        found = get_subscriber(self.store, address)
        assert found is not None
        return found


@contextlib.contextmanager
def serving(app: Any, port: int, url: str) -> Iterator[None]:
    """``app`` served by uvicorn on ``port`` in a thread while the block runs."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on {url}")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_site(sqlite_store: Store, tmp_path: Path) -> Iterator[LiveSite]:
    """``digest serve``'s app under uvicorn on a free port of 127.0.0.1, with the
    project's own regions and an outbox in tmp_path."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = web_config(tmp_path, url)
    regions = load_regions(PROJECT_ROOT / "config" / "regions.toml")
    app = create_app(config, sqlite_store, signer=SIGNER, regions=regions, environ={})
    with serving(app, port, url):
        yield LiveSite(url, sqlite_store, config.resolve(config.delivery.outbox.dir))


def look(page: Page, screenshot: Callable[[str], Path], label: str, *, web: bool = True) -> None:
    """Save the page as an artefact and require axe to find nothing serious; a web
    page must be clean of the rest too (a mail is no page: landmarks do not apply)."""
    screenshot(label)
    violations = axe_violations(page)
    serious = [(v["id"], v["impact"], v["help"]) for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"{label}: {serious}"
    if web:
        assert not violations, f"{label}: minor axe findings {[v['id'] for v in violations]}"


def unsubscribe_url(mail: EmailMessage) -> str:
    header = str(mail["List-Unsubscribe"])
    return header.split(",")[0].strip().strip("<>")


@pytest.mark.slow  # eight pages, each checked by axe
def test_a_reader_signs_up_confirms_chooses_pauses_and_leaves(
    page: Page, screenshot: Callable[[str], Path], live_site: LiveSite
) -> None:
    page.goto(live_site.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden voor Digest")
    look(page, screenshot, "1-sign-up")

    page.get_by_label("E-mailadres").fill("Anna@Example.org")
    page.get_by_label("Voornaam").fill("Anneke")
    page.get_by_role("textbox", name="Naam (niet verplicht)", exact=True).fill("Anna de Vries")
    page.get_by_label("Groenland").check()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je mailbox")
    look(page, screenshot, "2-check-your-inbox")
    assert live_site.subscriber("anna@example.org").status == "pending"

    [mail] = live_site.mails()
    assert mail["Subject"] == "Bevestig je aanmelding voor Digest"
    assert mail["To"] == "Anna de Vries <anna@example.org>"
    assert live_site.subscriber("anna@example.org").first_name == "Anneke"
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    page.goto("about:blank")  # leave the site: its CSP would refuse the mail's inline styles
    page.set_content(str(html.get_content()))
    expect(page.get_by_role("link", name="Mijn aanmelding bevestigen")).to_be_visible()
    look(page, screenshot, "confirmation-mail", web=False)
    page.goto(link_in(mail, "confirm"))  # a page with one button: opening it confirms nothing
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevestig je aanmelding voor Digest")
    look(page, screenshot, "3-confirm")
    assert live_site.subscriber("anna@example.org").status == "pending"
    page.get_by_role("button", name="Mijn aanmelding bevestigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelding bevestigd")
    expect(page.get_by_text("Je volgt: Groenland.")).to_be_visible()
    look(page, screenshot, "3-confirmed")
    assert live_site.subscriber("anna@example.org").status == "active"

    page.get_by_role("link", name="Je voorkeuren wijzigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je voorkeuren")
    look(page, screenshot, "4-preferences")
    page.get_by_label("Iran").check()
    page.get_by_role("button", name="Keuzes opslaan").click()
    expect(page.get_by_role("status")).to_have_text("Je keuzes zijn opgeslagen.")
    assert live_site.subscriber("anna@example.org").regions == frozenset({"groenland", "iran"})

    page.get_by_role("button", name="Nieuwsbrief pauzeren").click()
    expect(page.get_by_role("status")).to_contain_text("De nieuwsbrief is gepauzeerd.")
    look(page, screenshot, "5-paused")
    assert live_site.subscriber("anna@example.org").status == "paused"
    page.get_by_role("button", name="Nieuwsbrief weer ontvangen").click()
    expect(page.get_by_role("status")).to_contain_text("Welkom terug")
    assert live_site.subscriber("anna@example.org").status == "active"

    page.goto(unsubscribe_url(mail))
    expect(page.get_by_role("heading", level=1)).to_have_text("Afmelden voor Digest?")
    look(page, screenshot, "6-unsubscribe")
    assert live_site.subscriber("anna@example.org").status == "active"
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je bent afgemeld")
    look(page, screenshot, "7-unsubscribed")
    assert live_site.subscriber("anna@example.org").status == "unsubscribed"


def test_a_mistyped_address_is_explained_and_the_form_keeps_the_choices(
    page: Page, screenshot: Callable[[str], Path], live_site: LiveSite
) -> None:
    page.goto(live_site.url + "/")
    page.get_by_label("E-mailadres").fill("anna@voorbeeld")  # the browser accepts it; we do not
    page.get_by_label("Venezuela").check()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Dit e-mailadres is niet geldig")
    expect(page.get_by_label("Venezuela")).to_be_checked()
    look(page, screenshot, "form-error")
    assert live_site.mails() == []


def test_the_pages_work_in_dark_mode_and_show_where_the_focus_is(
    page: Page, screenshot: Callable[[str], Path], live_site: LiveSite
) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto(live_site.url + "/")
    page.get_by_label("E-mailadres").focus()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    look(page, screenshot, "dark-focus")


def test_a_bad_link_gets_a_clear_page(
    page: Page, screenshot: Callable[[str], Path], live_site: LiveSite
) -> None:
    answer = page.goto(live_site.url + "/confirm/not-a-real-token")
    assert answer is not None and answer.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Deze link werkt niet")
    look(page, screenshot, "bad-link")
