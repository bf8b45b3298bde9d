"""A reader in headless Chromium follows a story: edition → story page → its
timeline → a topic page → the topic's feeds; axe-clean in light and dark, on a
desktop and a 375 px phone (screenshots in test-artifacts/)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
from playwright.sync_api import Page, expect

from digest.publish import build_archive
from tests.support.browser import save_screenshot
from tests.test_publish_browser import PHONE, check_page
from tests.test_publish_stories import SETTINGS, revised_editions


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    editions, revisions = revised_editions()
    out = tmp_path_factory.mktemp("browser-stories") / "archief"
    build_archive(editions, SETTINGS, out, search=False, revisions=revisions)
    return out


@pytest.mark.slow
def test_reader_follows_a_story_from_an_edition_to_a_topic_feed(
    page: Page, static_server: Callable[[Path], str], site: Path
) -> None:
    base = static_server(site)
    page.goto(base + "/2026/01/06/avond/index.html")
    page.locator("a.entry-story", has_text="4.100 doden").click()
    expect(page).to_have_url(
        re.compile(r"/verhaal/bij-de-aardbeving-in-turkije-[a-z0-9-]*-s00010\.html")
    )
    expect(page.locator("h1")).to_contain_text("4.100 doden")
    check_page(page, "story")

    timeline = page.get_by_role("region", name="Tijdlijn")
    steps = timeline.get_by_role("listitem")
    expect(steps).to_have_count(3)
    expect(steps.first).to_contain_text("bijgewerkt: 3.900 → 4.100 doden")
    expect(steps.first.locator("mark.num").first).to_have_text("3.900")
    expect(steps.last).to_contain_text("eerst gemeld")
    first_text = steps.last.get_by_text("Tekst van versie 1")
    first_text.click()
    expect(steps.last.get_by_text("3.700 doden gevallen")).to_be_visible()
    editions = page.get_by_role("region", name="In deze edities").get_by_role("link")
    expect(editions).to_have_count(2)

    page.get_by_role("link", name="Kaja Kallas").click()
    expect(page.locator("h1")).to_have_text("Kaja Kallas")
    expect(page.locator(".story-item")).to_have_count(3)
    check_page(page, "topic")

    atom = page.get_by_role("link", name="Atom-feed", exact=True).get_attribute("href")
    json_feed = page.get_by_role("link", name="JSON Feed", exact=True).get_attribute("href")
    assert atom and json_feed
    topic_url = page.url
    response = page.request.get(topic_url.rsplit("/", 1)[0] + "/" + atom)
    assert response.ok and "xml" in response.headers["content-type"]
    parsed = feedparser.parse(response.body())
    assert parsed.bozo == 0 and len(parsed.entries) == 3
    story_link = next(e.link for e in parsed.entries if e.link.endswith("-s00010.html"))
    assert story_link.startswith(SETTINGS.root_url + "verhaal/")
    data = json.loads(page.request.get(topic_url.rsplit("/", 1)[0] + "/" + json_feed).body())
    assert data["version"] == "https://jsonfeed.org/version/1.1" and len(data["items"]) == 3


@pytest.mark.slow
def test_story_page_on_a_phone(
    page: Page, static_server: Callable[[Path], str], site: Path
) -> None:
    page.set_viewport_size(PHONE)
    base = static_server(site)
    [story] = site.glob("verhaal/*-s00010.html")
    page.goto(f"{base}/{story.relative_to(site).parent}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"story page scrolls sideways ({width}px)"
    check_page(page, "phone-story")
    page.emulate_media(color_scheme="light")
    save_screenshot(page, "archive-phone-story")
