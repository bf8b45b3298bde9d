"""In headless Chromium, a reader chooses editions and a language at sign-up,
changes them later, downloads their data and erases themselves; every page
checked with axe-core (the pattern of tests/test_web_browser.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from digest.classify.regions import load_regions
from digest.config import PROJECT_ROOT, config_from_dict
from digest.store import Store
from digest.store.consent import ConsentKeys
from digest.store.erasure import suppressed
from digest.store.subscribers import get_subscriber
from digest.web import create_app
from tests.support import free_port
from tests.test_web import SECRET, SIGNER, link_in
from tests.test_web_browser import LiveSite, look, serving


@pytest.fixture
def two_edition_site(sqlite_store: Store, tmp_path: Path) -> Iterator[LiveSite]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = {
        "site": {"base_url": url},
        "editions": [
            {"name": "ochtend", "title": "Ochtendeditie"},
            {"name": "avond", "title": "Avondeditie", "cron": "0 18 * * *"},
        ],
        "subscribers": {"default_editions": ["ochtend"]},
        "delivery": {"outbox": {"dir": "outbox"}},
    }
    config = config_from_dict(data, tmp_path / "digest.toml")
    regions = load_regions(PROJECT_ROOT / "config" / "regions.toml")
    app = create_app(config, sqlite_store, signer=SIGNER, regions=regions, environ={})
    with serving(app, port, url):
        yield LiveSite(url, sqlite_store, config.resolve(config.delivery.outbox.dir))


@pytest.mark.slow  # seven pages, each checked by axe
def test_a_reader_chooses_editions_and_language_downloads_and_erases(
    page: Page, screenshot: Callable[[str], Path], two_edition_site: LiveSite
) -> None:
    site = two_edition_site
    page.goto(site.url + "/")
    expect(page.get_by_label("Ochtendeditie")).to_be_checked()  # the configured default
    expect(page.get_by_label("Avondeditie")).not_to_be_checked()
    look(page, screenshot, "1-sign-up-with-editions")
    page.get_by_label("E-mailadres").fill("anna@example.org")
    page.get_by_label("Ochtendeditie").uncheck()  # no edition at all
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Vink ten minste één editie aan")
    look(page, screenshot, "2-no-edition")
    assert get_subscriber(site.store, "anna@example.org") is None

    page.get_by_label("E-mailadres").fill("anna@example.org")
    page.get_by_label("Avondeditie").check()
    page.get_by_label("Taal van de nieuwsbrief").select_option("en")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je mailbox")
    anna = get_subscriber(site.store, "anna@example.org")
    assert anna is not None and (anna.editions, anna.locale) == (frozenset({"avond"}), "en")

    [mail] = site.mails()
    page.goto(link_in(mail, "confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()  # her language now
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    look(page, screenshot, "3-confirmed-in-english")

    page.get_by_role("link", name="Change your preferences").click()
    expect(page.get_by_label("Avondeditie")).to_be_checked()  # edition titles are as configured
    look(page, screenshot, "4-preferences-in-english")
    page.get_by_label("Ochtendeditie").check()
    page.get_by_label("Language of the newsletter").select_option("nl")
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("status")).to_have_text("Je keuzes zijn opgeslagen.")
    changed = get_subscriber(site.store, "anna@example.org")
    assert changed is not None
    assert (changed.editions, changed.locale) == (frozenset({"ochtend", "avond"}), "nl")
    look(page, screenshot, "5-preferences-changed")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download mijn gegevens").click()
    saved = Path(download.value.path())
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["subscriber"]["editions"] == ["avond", "ochtend"]
    assert [e["event"] for e in data["consent_log"]] == ["signup", "confirm", "preferences"]

    page.get_by_role("link", name="Verwijder mij").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je gegevens verwijderen?")
    look(page, screenshot, "6-erase")
    assert get_subscriber(site.store, "anna@example.org") is not None
    page.get_by_role("button", name="Verwijder mij").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je gegevens zijn verwijderd")
    look(page, screenshot, "7-erased")
    assert get_subscriber(site.store, "anna@example.org") is None
    keys = ConsentKeys.from_secret(SECRET)
    assert suppressed(site.store, keys, ["anna@example.org"]) == {"anna@example.org"}


@pytest.fixture
def editor_site(sqlite_store: Store, tmp_path: Path) -> Iterator[LiveSite]:
    """The app with an editor token and one edition waiting for approval."""
    from datetime import timedelta

    from digest.store.approvals import request_approval
    from tests.delivery_helpers import SLOT, make_edition, record

    edition = record(sqlite_store, make_edition())
    request_approval(
        sqlite_store,
        edition,
        "ochtend@2026-01-21T07:00",
        now=SLOT,
        deadline=SLOT + timedelta(hours=2),
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = {"site": {"base_url": url}, "delivery": {"outbox": {"dir": "outbox"}}}
    config = config_from_dict(data, tmp_path / "digest.toml")
    regions = load_regions(PROJECT_ROOT / "config" / "regions.toml")
    app = create_app(
        config,
        sqlite_store,
        signer=SIGNER,
        regions=regions,
        environ={"DIGEST_EDITOR_TOKEN": EDITOR_TOKEN},
        now=lambda: SLOT + timedelta(minutes=20),
    )
    with serving(app, port, url):
        yield LiveSite(url, sqlite_store, config.resolve(config.delivery.outbox.dir))


EDITOR_TOKEN = "editor-token-0123456789abcdef"


@pytest.mark.slow
def test_the_editor_logs_in_previews_and_approves(
    page: Page, screenshot: Callable[[str], Path], editor_site: LiveSite
) -> None:
    from digest.store.approvals import get_approval

    page.goto(editor_site.url + "/editor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen als redacteur")
    look(page, screenshot, "editor-1-login")
    page.get_by_label("Wachtwoord of token").fill("fout")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_contain_text("klopt niet")
    look(page, screenshot, "editor-2-wrong")
    page.get_by_label("Wachtwoord of token").fill(EDITOR_TOKEN)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edities die op goedkeuring wachten")
    look(page, screenshot, "editor-3-waiting")
    page.get_by_role("link", name="ochtend-2026-01-21T0700").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text("Groenland")
    look(page, screenshot, "editor-4-preview")
    page.get_by_label("Notitie").fill("akkoord")
    page.get_by_role("button", name="Goedkeuren").click()
    expect(page.get_by_role("status")).to_contain_text("Goedgekeurd")
    look(page, screenshot, "editor-5-approved")
    approval = get_approval(editor_site.store, "ochtend-2026-01-21T0700")
    assert approval is not None and (approval.state, approval.note) == ("approved", "akkoord")
