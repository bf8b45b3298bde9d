"""Atom feeds of the archive: valid, the right entries, inert content, stable bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import html5lib
import pytest

from digest.publish.feeds import safe_feed_html, xml_text
from digest.publish.site import place_editions
from tests.test_publish_site import BASE, SETTINGS, make_editions, publish

ATOM = "{http://www.w3.org/2005/Atom}"
COUNT = 9


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds") / "archief"
    publish(make_editions(COUNT), out)
    return out


def feeds_of(archive: Path) -> list[Path]:
    return [archive / "feed.xml", *sorted((archive / "regio").glob("*/feed.xml"))]


def test_every_feed_parses_without_errors(archive: Path) -> None:
    found = feeds_of(archive)
    assert len(found) == 4  # all editions + groenland, iran, zeeland
    for path in found:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.feed.title.startswith("Digest: ")
        assert parsed.version == "atom10"


def test_editions_feed_has_the_newest_editions_newest_first(archive: Path) -> None:
    parsed = feedparser.parse((archive / "feed.xml").read_bytes())
    entries = place_editions(make_editions(COUNT), SETTINGS)
    expected = [BASE + "/" + e.url for e in reversed(entries)][: SETTINGS.feed_size]
    assert [e.link for e in parsed.entries] == expected
    assert [e.id for e in parsed.entries] == expected
    assert parsed.entries[0].title == "Ochtendeditie van vrijdag 9 januari 2026"
    assert "Bericht 8-0" in parsed.entries[0].content[0].value


def test_region_feed_has_that_regions_sections(archive: Path) -> None:
    parsed = feedparser.parse((archive / "regio/iran/feed.xml").read_bytes())
    editions = place_editions(make_editions(COUNT), SETTINGS)
    with_iran = [e for e in editions if any(s.region_id == "iran" for s in e.edition.sections)]
    expected = [f"{BASE}/{e.url}#section-iran" for e in reversed(with_iran)]
    assert [e.link for e in parsed.entries] == expected[: SETTINGS.feed_size]
    for entry in parsed.entries:
        assert entry.title.startswith("Iran in ")
        assert "Zeeland" not in entry.content[0].value


def test_untrusted_text_is_inert_in_every_feed(archive: Path) -> None:
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    hostile_seen = False
    for path in feeds_of(archive):
        for content in ElementTree.parse(path).iter(f"{ATOM}content"):
            assert content.get("type") == "html"
            html = content.text or ""
            hostile_seen |= "alert(1)" in html
            for element in parser.parseFragment(html).iter():
                assert element.tag not in ("script", "img", "iframe", "style"), path
                for name, value in element.attrib.items():
                    assert name in ("href", "rel"), (path, name)
                    assert value.startswith(("https://", "http://", "mailto:", "noopener")), value
    assert hostile_seen  # the hostile brief is there, as text


def test_sanitiser_keeps_text_and_drops_active_content() -> None:
    dirty = (
        '<p onclick="x()">Dijk <script>alert(1)</script><img src=x onerror=alert(2)>'
        '<a href="javascript:alert(3)">klik</a> <a href="https://example.org/a">bron</a>\x07</p>'
    )
    clean = safe_feed_html(dirty)
    assert "script" not in clean and "onerror" not in clean and "onclick" not in clean
    assert "javascript" not in clean and "\x07" not in clean
    assert "Dijk" in clean and "klik" in clean and 'href="https://example.org/a"' in clean
    assert xml_text("a\ufffeb\ue000c") == "abc"


def test_feeds_are_byte_identical_when_nothing_changed(tmp_path: Path) -> None:
    editions = make_editions(5)
    publish(editions, tmp_path / "one")
    publish(editions, tmp_path / "two")
    for name in ("feed.xml", "regio/iran/feed.xml", "sitemap.xml", "sitemap-2026.xml"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_empty_archive_still_has_a_valid_feed(tmp_path: Path) -> None:
    publish([], tmp_path / "empty")
    parsed = feedparser.parse((tmp_path / "empty" / "feed.xml").read_bytes())
    assert parsed.bozo == 0 and parsed.entries == []


def test_the_sitemap_is_split_by_year_and_at_the_protocols_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest.publish import feeds

    monkeypatch.setattr(feeds, "SITEMAP_URLS", 2)
    day = datetime(2025, 12, 31, 7, tzinfo=UTC)
    pages = [("a/", day), ("b/", day + timedelta(days=1)), ("c/", None), ("d/", day),
             ("e/", day), ("f/", day + timedelta(days=2))]  # fmt: skip
    files = feeds.sitemap_files(pages)
    assert {name: [url for url, _ in listed] for name, listed in files.items()} == {
        "sitemap-2025.xml": ["a/", "d/"],
        "sitemap-2025-2.xml": ["e/"],
        "sitemap-2026.xml": ["b/", "f/"],
        "sitemap-undated.xml": ["c/"],
    }
    index = feeds.sitemap_index([("sitemap-2026.xml", day), ("sitemap-undated.xml", None)],
                                SETTINGS).decode()  # fmt: skip
    assert f"<sitemap><loc>{BASE}/sitemap-2026.xml</loc><lastmod>2025-12-31</lastmod>" in index
    assert f"<sitemap><loc>{BASE}/sitemap-undated.xml</loc></sitemap>" in index
