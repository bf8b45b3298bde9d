"""Story pages, topic pages, their feeds (Atom, JSON Feed 1.1) and the metadata
every archive page carries (OpenGraph, Twitter card, schema.org JSON-LD)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import feedparser
import html5lib
import pytest
from PIL import Image

from digest.classify.gazetteer import load_gazetteer
from digest.cli import main
from digest.config import PROJECT_ROOT
from digest.edition.address import slug
from digest.model import Edition, EditionBrief, Revision
from digest.publish import SiteSettings, build_archive
from digest.publish.pages import archive_environment
from digest.publish.stories import story_slug
from digest.publish.timeline import Change, changes_between, marked
from digest.publish.topics import people
from tests.test_publish_site import BASE, html_files, make_edition

SETTINGS = SiteSettings(
    title="Digest", base_url=BASE, per_page=4, feed_size=5, topics=("dijken", "begroting")
)
DEATHS_BEFORE = "Bij de aardbeving in Turkije zijn 3.700 doden gevallen, meldt de regering."
DEATHS_AFTER = "Bij de aardbeving in Turkije zijn 4.100 doden gevallen, meldt de regering."
# The store saw three wordings; the editions carried the first and the last.
WORDINGS = (
    DEATHS_BEFORE + " Kaja Kallas reageert.",
    DEATHS_BEFORE.replace("3.700", "3.900")
    + " Kaja Kallas reageert. Reddingswerkers zoeken in Hatay verder.",
    DEATHS_AFTER + " Kaja Kallas reageert. Reddingswerkers zoeken in Hatay en Gaziantep verder.",
)
OG_TAGS = ("og:title", "og:description", "og:image", "og:url", "og:type", "og:site_name")
TWITTER_TAGS = ("twitter:card", "twitter:title", "twitter:description", "twitter:image")


def revised_editions() -> tuple[list[Edition], dict[str, tuple[Revision, ...]]]:
    """Five editions; edition 3 carries story s00010 again, reworded (3.700 → 4.100),
    and Kaja Kallas is named in three stories (s00000, s00010, s00020)."""
    editions = [make_edition(n) for n in range(5)]
    first = _brief(editions[1], "s00010")
    story = replace(first.story, text=WORDINGS[0], dateline="ANKARA")
    editions[1] = _with_brief(editions[1], replace(first, story=story))
    updated = replace(
        story,
        text=WORDINGS[2],
        revisions=3,
        updated_at=editions[3].slot - timedelta(minutes=20),
    )
    editions[3] = _with_brief(editions[3], EditionBrief(updated, "today", True))
    for n in (0, 2):
        other = _brief(editions[n], f"s{n:04d}0")
        text = other.story.text + " Volgens Kaja Kallas is dat nodig."
        editions[n] = _with_brief(
            editions[n], replace(other, story=replace(other.story, text=text))
        )
    revisions: dict[str, tuple[Revision, ...]] = {
        story.id: (
            Revision(1, story.first_seen, None, WORDINGS[0]),
            Revision(2, story.first_seen + timedelta(hours=5, minutes=7), None, WORDINGS[1]),
            Revision(3, updated.updated_at or updated.first_seen, None, WORDINGS[2]),
        )
    }
    return editions, revisions


def _brief(edition: Edition, story_id: str) -> EditionBrief:
    return next(b for s in edition.sections for b in s.briefs if b.story.id == story_id)


def _with_brief(edition: Edition, brief: EditionBrief) -> Edition:
    """``edition`` with ``brief`` in place of the brief of its story (in every section
    holding it), or first in its first section when it has none."""
    if any(b.story.id == brief.story.id for s in edition.sections for b in s.briefs):
        sections = tuple(
            replace(s, briefs=tuple(brief if b.story.id == brief.story.id else b for b in s.briefs))
            for s in edition.sections
        )
        return replace(edition, sections=sections)
    section = edition.sections[0]
    return replace(
        edition, sections=(replace(section, briefs=(brief, *section.briefs)), *edition.sections[1:])
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    editions, revisions = revised_editions()
    out = tmp_path_factory.mktemp("stories") / "archief"
    build_archive(editions, SETTINGS, out, search=False, revisions=revisions)
    return out


def story_page(site: Path, story_id: str) -> Path:
    [found] = site.glob(f"verhaal/*-{story_id}.html")
    return found


def parse(page: Path) -> object:
    return html5lib.parse(page.read_text(), namespaceHTMLElements=False)


def test_a_change_reads_old_new_and_the_word_after() -> None:
    assert changes_between(DEATHS_BEFORE, DEATHS_AFTER) == (Change("3.700", "4.100", "doden"),)
    assert str(marked("4.100 doden")) == '<mark class="num">4.100</mark> doden'
    assert str(marked("<b>12,5</b>")) == '&lt;b&gt;<mark class="num">12,5</mark>&lt;/b&gt;'


def test_story_page_shows_every_wording_as_a_timeline(site: Path) -> None:
    text = story_page(site, "s00010").read_text()
    assert '<h2 id="tijdlijn">Tijdlijn</h2>' in text
    changes = re.findall(r'<span class="timeline-changes">(.*?)</span></p>', text)
    assert changes == [  # newest first
        '<del><mark class="num">3.900</mark></del> → '
        '<ins><mark class="num">4.100</mark></ins> doden; + <ins>en Gaziantep</ins> verder',
        '<del><mark class="num">3.700</mark></del> → '
        '<ins><mark class="num">3.900</mark></ins> doden; '
        "+ <ins>Reddingswerkers zoeken in Hatay verder</ins>",
    ]
    assert "<strong>bijgewerkt</strong>" in text and "eerst gemeld" in text
    assert all(f"Tekst van versie {n}" in text for n in (1, 2, 3))
    assert "3 versies" in text
    # Absolute times through Babel, never an age measured at build time.
    assert re.search(r"(maandag|dinsdag|woensdag) \d+ januari 2026, \d\d:\d\d", text)
    assert "geleden" not in text


def test_story_page_links_its_editions_regions_and_topics(site: Path) -> None:
    page = story_page(site, "s00010")
    text = page.read_text()
    carried = re.findall(
        r'<li><a href="([^"]+)">Ochtendeditie|<li><a href="([^"]+)">Avondeditie', text
    )
    targets = [a or b for a, b in carried]
    assert len(targets) == 2  # the edition that brought it and the one that brought it again
    for target in targets:
        assert (page.parent / target.split("#")[0]).is_file()
    assert 'href="../regio/' in text
    assert 'href="../onderwerp/kaja-kallas/index.html">Kaja Kallas</a>' in text
    assert 'href="../onderwerp/ankara/index.html">Ankara</a>' not in text  # once: below the minimum


def test_story_address_is_stable_when_the_story_is_reworded(site: Path, tmp_path: Path) -> None:
    editions, revisions = revised_editions()
    before = story_page(site, "s00010").stem
    assert (
        before == story_slug("Bij de aardbeving in Turkije zijn 3.700 doden gevallen") + "-s00010"
    )
    out = tmp_path / "again"
    build_archive(editions[:2], SETTINGS, out, search=False, revisions=revisions)
    assert story_page(out, "s00010").stem == before


def test_edition_entries_link_to_their_story_pages(site: Path) -> None:
    page = site / "2026/01/06/avond/index.html"
    links = re.findall(r'class="entry-story" href="([^"]+)"', page.read_text())
    assert links and all((page.parent / link).is_file() for link in links)
    region = site / "regio/groenland/index.html"
    for link in re.findall(r'class="entry-story" href="([^"]+)"', region.read_text()):
        assert (region.parent / link).is_file()


def test_people_are_capitalised_names_not_places_titles_or_sentence_starts() -> None:
    text = (
        "President Claudia Sheinbaum sprak met Donald Trump. De Verenigde Staten zwijgen. "
        "Volgens Zelensky en Troels Lund Poulsen is Buitenlandse Zaken akkoord. Ook Duitsland."
    )
    assert people(text, load_gazetteer()) == {
        "Claudia Sheinbaum",
        "Donald Trump",
        "Troels Lund Poulsen",
    }


def test_topics_for_keywords_places_and_people(site: Path) -> None:
    listed = (site / "onderwerp/index.html").read_text()
    for topic in ("dijken", "begroting", "nuuk", "den-haag", "kaja-kallas"):
        assert f'href="../onderwerp/{topic}/index.html"' in listed, topic
    page = (site / "onderwerp/kaja-kallas/index.html").read_text()
    assert page.count('class="story-item"') == 3
    # newest first by the last edition that carried them: s00010 came again in edition 3
    assert re.findall(r'href="[^"]*-(s000\d0)\.html"', page) == ["s00010", "s00020", "s00000"]
    assert (
        '<link rel="alternate" type="application/feed+json" '
        'href="../../onderwerp/kaja-kallas/feed.json"' in page
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Israël", "israel"),  # the topic page was onderwerp/isra-l/
        ("Brazilië", "brazilie"),  # and onderwerp/brazili/
        ("São Paulo", "sao-paulo"),
        ("Curaçao", "curacao"),
        ("Øresund", "oresund"),
        ("Recep Tayyip Erdoğan", "recep-tayyip-erdogan"),
        ("Den Haag", "den-haag"),
        ("ochtend", "ochtend"),
        ("‘s-Hertogenbosch", "s-hertogenbosch"),
        ("日本", "x"),
    ],
)
def test_topic_and_region_addresses_fold_accents_instead_of_cutting_them(
    name: str, expected: str
) -> None:
    assert slug(name) == expected


def test_every_atom_feed_reads_without_errors(site: Path) -> None:
    feeds = sorted(site.rglob("feed.xml"))
    assert {"feed.xml", "regio/groenland/feed.xml", "onderwerp/kaja-kallas/feed.xml"} <= {
        str(f.relative_to(site)) for f in feeds
    }
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.entries, path
        for entry in parsed.entries:
            assert entry.link.startswith(BASE + "/"), path
    kallas = feedparser.parse((site / "onderwerp/kaja-kallas/feed.xml").read_bytes())
    assert {e.link.rsplit("-", 1)[1] for e in kallas.entries} == {
        "s00000.html",
        "s00010.html",
        "s00020.html",
    }


def test_every_json_feed_has_the_required_fields_of_version_1_1(site: Path) -> None:
    feeds = sorted(site.rglob("feed.json"))
    assert any("regio/" in str(f) for f in feeds) and any("onderwerp/" in str(f) for f in feeds)
    for path in feeds:
        data = json.loads(path.read_text())
        assert data["version"] == "https://jsonfeed.org/version/1.1", path
        assert isinstance(data["title"], str) and data["title"], path
        assert data["feed_url"] == BASE + "/" + str(path.relative_to(site)), path
        assert isinstance(data["items"], list) and data["items"], path
        ids = [item["id"] for item in data["items"]]
        assert len(set(ids)) == len(ids), path
        for item in data["items"]:
            assert isinstance(item["id"], str) and item["id"], path
            assert item.get("content_html") or item.get("content_text"), path
            assert "<script" not in item.get("content_html", ""), path
            for key in ("date_published", "date_modified"):
                if key in item:
                    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", item[key])


def _meta(tree: object) -> dict[str, str]:
    found = {}
    for element in tree.iter("meta"):  # type: ignore[attr-defined]
        name = element.get("property") or element.get("name")
        if name:
            found[name] = element.get("content", "")
    return found


def _json_ld(tree: object) -> list[dict[str, object]]:
    return [
        json.loads(s.text)
        for s in tree.iter("script")  # type: ignore[attr-defined]
        if s.get("type") == "application/ld+json"
    ]


EXPECTED_LD = {
    "verhaal/": "NewsArticle",
    "onderwerp/": "CollectionPage",
    "regio/": "CollectionPage",
    "2026/": "CollectionPage",
    "index.html": "CollectionPage",
}


def test_every_page_kind_has_opengraph_twitter_and_json_ld(site: Path) -> None:
    kinds: set[str] = set()
    for page in html_files(site):
        tree = parse(page)
        meta = _meta(tree)
        relative = str(page.relative_to(site))
        if relative == "404.html":
            continue
        for tag in OG_TAGS + TWITTER_TAGS:
            assert meta.get(tag), (relative, tag)
        assert meta["og:url"].startswith(BASE + "/"), relative
        assert meta["og:image"].startswith(BASE + "/") and meta["og:image"].endswith(".png")
        image = site / meta["og:image"].removeprefix(BASE + "/")
        assert image.is_file(), (relative, image)
        kind = next((k for k in EXPECTED_LD if relative.startswith(k)), None)
        if kind is None or "pagina/" in relative or relative.startswith("zoeken/"):
            continue
        [data] = _json_ld(tree)
        assert data["@context"] == "https://schema.org"
        assert data["@type"] == EXPECTED_LD[kind], relative
        assert data["url"] == meta["og:url"], relative
        kinds.add(kind)
        if data["@type"] == "NewsArticle":
            assert meta["og:type"] == "article"
            for field in ("headline", "datePublished", "dateModified", "publisher", "image"):
                assert data[field], (relative, field)
            assert len(str(data["headline"])) <= 110
    assert kinds == set(EXPECTED_LD)


def test_share_image_per_edition_is_a_png_of_1200_by_630(site: Path) -> None:
    images = sorted(site.glob("2026/*/*/*/share.png"))
    assert len(images) == 5
    for path in (*images, site / "share.png"):
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (1200, 630)
    assert len({p.read_bytes() for p in images}) == len(images)  # each its own contents line


def test_sitemap_lists_story_and_topic_pages_with_lastmod(site: Path) -> None:
    sitemap = "".join(p.read_text() for p in site.glob("sitemap-*.xml"))
    for path in [*site.glob("verhaal/*.html"), *site.glob("onderwerp/*/index.html")]:
        page = path if path.parent.name == "verhaal" else path.parent  # a story is one file
        url = BASE + "/" + str(page.relative_to(site)) + ("" if page is path else "/")
        assert re.search(
            re.escape(f"<loc>{url}</loc>") + r"<lastmod>2026-01-\d\d</lastmod>", sitemap
        )
    assert "Sitemap: " + BASE + "/sitemap.xml" in (site / "robots.txt").read_text()


def test_an_unchanged_archive_rebuilds_nothing(site: Path, tmp_path: Path) -> None:
    editions, revisions = revised_editions()
    out = tmp_path / "twice"
    build_archive(editions, SETTINGS, out, search=False, revisions=revisions)
    again = build_archive(editions, SETTINGS, out, search=False, revisions=revisions)
    assert again.written == 0


def test_the_archive_speaks_english_through_the_same_catalogs(tmp_path: Path) -> None:
    editions, revisions = revised_editions()
    settings = replace(
        SETTINGS, locale="en", alternates=(("nl", "https://digest.example.org/archief-nl"),)
    )
    out = tmp_path / "archive"
    build_archive(
        editions,
        settings,
        out,
        env=archive_environment(locale="en"),
        search=False,
        revisions=revisions,
    )
    story = story_page(out, "s00010").read_text()
    assert '<html lang="en">' in story
    assert '<h2 id="tijdlijn">Timeline</h2>' in story and "3 versions" in story
    assert "First reported" in story and "Monday, January 5, 2026" in story
    assert '<meta property="og:locale" content="en_GB">' in story
    path = story_page(out, "s00010").relative_to(out)
    assert f'<link rel="alternate" hreflang="en" href="{BASE}/{path}">' in story
    assert (
        f'<link rel="alternate" hreflang="nl" href="https://digest.example.org/archief-nl/{path}">'
        in story
    )
    dutch = re.compile(r"\b(Zoeken|Edities|Tijdlijn|berichten|bijgewerkt|Onderwerpen|van)\b")
    for page in html_files(out):
        chrome = re.sub(r"<main.*?</main>", "", page.read_text(), flags=re.S)
        assert not dutch.findall(chrome), page
    edition = (out / "2026/01/06/avond/index.html").read_text()
    assert "Other editions" in edition and "This edition as Markdown" in edition
    assert feedparser.parse((out / "feed.xml").read_bytes()).feed.language == "en"
    assert json.loads((out / "regio/groenland/feed.json").read_text())["language"] == "en"
    assert "Digest: all editions" in (out / "feed.xml").read_text()


def test_a_dutch_archive_has_no_hreflang_without_alternates(site: Path) -> None:
    assert "hreflang" not in (site / "index.html").read_text()


def test_story_pages_show_the_revisions_the_store_kept(tmp_path: Path) -> None:
    """The whole pipeline: a brief reworded between two snapshots (and once more in
    between, unseen by any edition) is one story page with its three wordings."""
    config = tmp_path / "digest.toml"
    config.write_text(
        f"""
[site]
regions = "{PROJECT_ROOT / "config" / "regions.toml"}"
[storage]
url = "sqlite:///{tmp_path / "digest.db"}"
[[editions]]
name = "ochtend"
title = "Ochtendeditie"
window = "12h"
[[editions]]
name = "avond"
title = "Avondeditie"
cron = "0 18 * * *"
window = "12h"
[archive]
base_url = "{BASE}"
topics = ["aardbeving"]
""",
        encoding="utf-8",
    )
    run = ["--config", str(config)]
    other = "MADRID (ANP) - In het noorden van Spanje is een trein ontspoord, zonder gewonden."
    snapshots = [
        ("05:40", WORDINGS[0], "ochtend", "07:00"),
        ("11:00", WORDINGS[1], None, None),
        ("16:40", WORDINGS[2], "avond", "18:00"),
    ]
    for n, (captured, text, edition, slot) in enumerate(snapshots):
        snapshot = tmp_path / f"snapshot-{n}.txt"
        news = f"ANKARA (ANP) - {text}\n5 minuten geleden{other}\n8 minuten geleden"
        if n == 2:  # something new for the evening (it needs at least one new brief)
            news += (
                "LISSABON (ANP) - In Portugal is de hele dag gestaakt, tegen de nieuwe pensioenwet."
            )
            news += "\n9 minuten geleden"
        snapshot.write_text(f"Buitenland\n{news}\n")
        ingest = ["ingest", str(snapshot), "--captured-at", f"2026-02-06T{captured}:00+00:00"]
        assert main([*run, *ingest, "--quiet"]) == 0
        if edition:
            build = ["build", edition, "--at", f"2026-02-06T{slot}:00+01:00"]
            assert main([*run, *build, "--out", str(tmp_path / "mail")]) == 0
    out = tmp_path / "site"
    assert main([*run, "publish", "--out", str(out), "--no-search"]) == 0
    [page] = out.glob("verhaal/bij-de-aardbeving-in-turkije-zijn-3-700-*.html")
    text = page.read_text()
    assert "3 versies" in text
    assert text.count('<li class="timeline-step') == 3
    assert "3.900</mark></ins> doden" in text and "4.100</mark></ins> doden" in text
    assert "vrijdag 6 februari 2026, 12:00" in text  # the unseen wording, when the store saw it
    # First reported when the wire published it ("5 minuten geleden" at 06:40), as the
    # mail and the edition page say, not when the page was captured.
    moment = '<time datetime="2026-02-06T06:35:00+01:00">vrijdag 6 februari 2026, 06:35</time>'
    assert f"Eerst gemeld {moment}" in text and f"{moment}: eerst gemeld" in text
    assert '"datePublished":"2026-02-06T06:35:00+01:00"' in text
    evening = (out / "2026/02/06/avond/index.html").read_text()
    assert f'href="../../../../verhaal/{page.name}"' in evening
    topic = (out / "onderwerp/aardbeving/index.html").read_text()
    assert page.name in topic


def test_story_pages_and_topic_feeds_use_the_mails_typography(tmp_path: Path) -> None:
    edition = make_edition(0)
    brief = _brief(edition, "s00000")
    quoted = 'De minister noemt het "geen optie", meldt \'s ochtends het ANP. Kaja Kallas zwijgt.'
    edition = _with_brief(edition, replace(brief, story=replace(brief.story, text=quoted)))
    build_archive([edition], replace(SETTINGS, topic_min=1), tmp_path / "a", search=False)
    page = story_page(tmp_path / "a", "s00000").read_text()
    assert "“geen optie”" in page and "’s ochtends" in page
    assert '"geen optie"' not in page.replace('\\"', "")
    feed = (tmp_path / "a/onderwerp/kaja-kallas/feed.json").read_text()
    assert "“geen optie”" in feed


def test_a_late_edition_s_stories_are_listed_at_the_time_it_went_out(tmp_path: Path) -> None:
    """An edition built late (a first run at 18:33 for the 07:00 slot) says 18:33 on its
    own page; its topic page listed its stories at 07:00 (a tester's pass)."""
    first = make_edition(0)
    late = replace(first, window_end=first.slot + timedelta(hours=11, minutes=33))
    assert late.late
    out = tmp_path / "site"
    build_archive(
        [late], SiteSettings(title="Digest", base_url=BASE, topic_min=1), out, search=False
    )
    edition = (out / "2026/01/05/ochtend/index.html").read_text()
    topic = (out / "onderwerp/nuuk/index.html").read_text()
    assert "18:33" in edition and "18:33" in topic
    assert "07:00" not in topic
