"""The archive in headless Chromium over http on 127.0.0.1: navigation, search,
accessibility (axe-core) and screenshots (desktop and phone) in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from digest.publish.search import pagefind_binary
from tests.support.browser import axe_violations, save_screenshot
from tests.test_publish_site import make_editions, publish

PHONE: ViewportSize = {"width": 375, "height": 740}
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if pagefind_binary() is None:
        pytest.skip("the Pagefind binary is missing; pip install 'pagefind[extended]'")
    out = tmp_path_factory.mktemp("browser") / "archief"
    report = publish(make_editions(12), out, search=True)
    assert report.search.startswith("2 shards")  # 5-7 and 8-10 January: two weeks
    return out


def serious(page: Page) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in axe_violations(page)
        if v["impact"] in SERIOUS
    ]


def check_page(page: Page, name: str) -> None:
    """No serious axe violation, in light and dark scheme, and a screenshot of each."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert serious(page) == [], f"{name} ({scheme})"
        save_screenshot(page, f"archive-{name}-{scheme}")


@pytest.mark.slow
def test_reader_goes_from_the_index_to_an_edition_to_a_region(
    page: Page, static_server: Callable[[Path], str], archive: Path
) -> None:
    base = static_server(archive)
    page.goto(base + "/")
    expect(page).to_have_title("Digest")
    expect(page.locator("h1")).to_have_text("Alle edities van Digest")
    check_page(page, "index")

    page.get_by_role("link", name="Ochtendeditie van zaterdag 10 januari 2026").click()
    expect(page).to_have_url(base + "/2026/01/10/ochtend/index.html")
    expect(page.locator("h1")).to_have_text("Ochtendeditie van zaterdag 10 januari 2026")
    expect(page.locator("text=Bericht 10-0.")).to_be_visible()
    check_page(page, "edition")

    page.get_by_role("link", name="← Vorige: Avondeditie van vrijdag 9 januari 2026").click()
    expect(page).to_have_url(base + "/2026/01/09/avond/index.html")
    page.get_by_role("link", name="Regio’s").click()
    page.get_by_role("link", name="Groenland", exact=True).click()
    expect(page.locator("h1")).to_have_text("Groenland")
    expect(page.get_by_role("img", name="Berichten per dag over Groenland")).to_be_visible()
    check_page(page, "region")


@pytest.mark.slow
def test_search_finds_a_dutch_word_and_shows_results_as_text(
    page: Page, static_server: Callable[[Path], str], archive: Path
) -> None:
    base = static_server(archive)
    page.goto(base + "/")
    page.get_by_role("searchbox", name="Zoek in het archief").fill("dijken")
    page.get_by_role("button", name="Zoeken").click()
    expect(page).to_have_url(base + "/zoeken/index.html?q=dijken")
    results = page.locator("[data-search-results] li")
    expect(results.first).to_be_visible()
    expect(page.locator("[data-search-status]")).to_contain_text("resultaten voor “dijken”")
    expect(results.first.locator("mark").first).to_be_visible()
    check_page(page, "search")
    # A hostile brief is found as text: its markup never becomes elements.
    page.get_by_role("searchbox", name="Zoekwoorden").fill("nadruk")
    page.get_by_role("button", name="Zoeken").click()
    expect(results.first).to_be_visible()
    assert page.locator("[data-search-results] img, [data-search-results] script").count() == 0
    results.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/2026/01/\d\d/(ochtend|avond)/$"))


@pytest.mark.slow
def test_search_page_degrades_without_an_index(
    page: Page, static_server: Callable[[Path], str], tmp_path: Path
) -> None:
    out = tmp_path / "archief"
    publish(make_editions(2), out, search=False)
    page.goto(static_server(out) + "/zoeken/?q=dijken")
    expect(page.locator("[data-search-status]")).to_contain_text("niet beschikbaar")
    assert page.locator("[data-search-results] li").count() == 0


@pytest.mark.slow
def test_archive_on_a_phone(
    page: Page, static_server: Callable[[Path], str], archive: Path
) -> None:
    page.set_viewport_size(PHONE)
    base = static_server(archive)
    for name, path in (
        ("index", "/"),
        ("edition", "/2026/01/10/ochtend/"),
        ("region", "/regio/groenland/"),
    ):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways ({width}px)"
        page.emulate_media(color_scheme="light")
        save_screenshot(page, f"archive-phone-{name}")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.slow
def test_archive_opened_from_disk_navigates_and_explains_search(page: Page, archive: Path) -> None:
    """Opened as file://, links once showed folder listings and search failed silently."""
    page.goto((archive / "index.html").as_uri())
    page.get_by_role("link", name="Regio’s").first.click()
    expect(page.locator("h1")).to_have_text("Regio’s")
    page.get_by_role("link", name="Groenland", exact=True).click()
    expect(page.locator("h1")).to_have_text("Groenland")
    page.get_by_role("link", name="Edities").first.click()
    expect(page.locator("h1")).to_contain_text("edities")
    page.locator(".edition-item-title a").first.click()
    expect(page.locator("article.edition h1")).to_contain_text("editie")
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        if href.startswith("file://"):
            target = Path(href.removeprefix("file://").split("#")[0].split("?")[0])
            assert target.is_file(), href  # never a folder: browsers list those
    page.get_by_role("searchbox", name="Zoek in het archief").fill("dijken")
    page.get_by_role("button", name="Zoeken").click()
    note = page.locator("[data-search-offline]")
    expect(note).to_be_visible()
    expect(note).to_contain_text("digest serve")
    expect(page.locator("[data-search]")).to_be_hidden()
    save_screenshot(page, "archive-file-search")
