"""The archive as a whole: pages, addresses, links, HTML validity, inert brief text.

Also home of the helpers the other publish tests import: ``make_editions``
(editions built from stories, hostile text included), ``internal_links`` and
``html_files``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import feedparser
import html5lib
import pytest

from digest.cli import main
from digest.config import PROJECT_ROOT, config_from_dict
from digest.edition.group import group_edition
from digest.model import Edition, Story
from digest.publish import PublishReport, SiteSettings, build_archive, publish_archive
from digest.publish.pages import archive_environment
from digest.publish.site import (
    chart_counts,
    chunk,
    collect_regions,
    place_editions,
)
from digest.render.environment import default_environment
from digest.render.markup import MARK_OPEN
from digest.render.outputs import render_edition, render_edition_body
from digest.store import Store
from digest.store import editions as store_editions
from tests.sample_edition import HOSTILE, ZONE, Region

BASE = "https://digest.example.org/archief"
SETTINGS = SiteSettings(title="Digest", base_url=BASE, per_page=4, feed_size=5)
REGIONS = (Region("groenland", "Groenland"), Region("iran", "Iran"), Region("zeeland", "Zeeland"))
START = datetime(2026, 1, 5, 7, 0, tzinfo=ZONE)
TEXTS = (
    "De dijken bij Vlissingen worden versterkt tegen de stormvloed.",
    "Groenlanders demonstreren opnieuw voor zelfbeschikking in Nuuk.",
    "Iran zegt dat het internet geleidelijk wordt hersteld na de protesten.",
    "De regering overlegt over de begroting voor volgend jaar.",
)


def make_story(number: int, index: int, slot: datetime, regions: tuple[str, ...]) -> Story:
    hostile = index == 5
    return Story(
        id=f"s{number:04d}{index}",
        kind="brief",
        title="<b>Kop</b> <script>alert(3)</script>" if hostile else None,
        dateline="NUUK" if index % 2 else "DEN HAAG",
        agencies=("ANP",),
        text=(HOSTILE if hostile else TEXTS[(number + index) % len(TEXTS)])
        + f" Bericht {number}-{index}.",
        published_at=slot - timedelta(minutes=41 * index + 3),
        section="Buitenland",
        source="tests",
        first_seen=slot - timedelta(minutes=40 * index + 1),
        last_seen=slot,
        regions=regions,
        url="javascript:alert(4)" if hostile else f"https://example.org/n/{number}-{index}",
    )


def make_edition(number: int, start: datetime = START, briefs: int = 6) -> Edition:
    """Edition ``number``: every 12 hours from ``start``, ochtend and avond."""
    slot = start + timedelta(hours=12 * number)
    stories = [
        make_story(number, i, slot, (REGIONS[(number + i) % 3].id,) if i % 4 != 3 else ())
        for i in range(briefs)
    ]
    morning = slot.hour < 12
    return group_edition(
        stories,
        REGIONS,
        name="ochtend" if morning else "avond",
        title="Ochtendeditie" if morning else "Avondeditie",
        slot=slot,
        window_start=slot - timedelta(hours=12),
        zone=ZONE,
    )


def make_editions(count: int, start: datetime = START) -> list[Edition]:
    return [make_edition(n, start) for n in range(count)]


def publish(editions: list[Edition], out: Path, *, search: bool = False) -> PublishReport:
    return build_archive(editions, SETTINGS, out, search=search)


# --- reading an archive ------------------------------------------------------------


def html_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.html")):
        if "pagefind" not in path.relative_to(root).parts:
            yield path


def parse_html(path: Path) -> ElementTree.Element:
    """Strict HTML5 parsing: any parse error raises."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes())  # type: ignore[no-any-return]


def page_address(root: Path, path: Path) -> str:
    """``/2026/01/05/ochtend/`` for ``root/2026/01/05/ochtend/index.html``."""
    relative = path.relative_to(root).as_posix()
    return "/" + (relative[: -len("index.html")] if relative.endswith("index.html") else relative)


def resolve(root: Path, page: Path, href: str) -> tuple[Path, str] | None:
    """The file and fragment an href of ``page`` leads to; None for external links."""
    if href.startswith(BASE + "/"):
        target = "/" + href[len(BASE) + 1 :]
    else:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            return None
        target = (page_address(root, page).rsplit("/", 1)[0] + "/" + href) if href else ""
        if href.startswith("#"):
            target = page_address(root, page) + href
    parts = urlsplit(target)
    segments: list[str] = []
    for segment in unquote(parts.path).split("/"):
        if segment == "..":
            segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    path = root.joinpath(*segments)
    if parts.path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, parts.fragment


def internal_links(root: Path) -> Iterator[tuple[Path, str, Path, str]]:
    """Every (page, href, file, fragment) of an internal href/src in the archive."""
    for page in html_files(root):
        tree = parse_html(page)
        for element in tree.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is None:
                    continue
                found = resolve(root, page, value)
                if found is not None:
                    yield page, value, found[0], found[1]


def ids_of(path: Path) -> set[str]:
    return {e.get("id", "") for e in parse_html(path).iter()} - {""}


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "archief"
    publish(make_editions(11), out)
    return out


# --- the pure plan ------------------------------------------------------------------


def test_chunks_are_cut_from_the_oldest_and_never_move() -> None:
    cut = chunk([1] * 10, 4)
    assert cut.numbered == ((0, 4),)
    assert cut.front == (4, 10)  # the last full chunk and the open one
    grown = chunk([1] * 11, 4)
    assert grown.numbered[: len(cut.numbered)] == cut.numbered
    assert chunk([], 4).front == (0, 0) and chunk([], 4).numbered == ()
    assert chunk([3, 3, 3], 4).numbered == ()  # pages hold whole sections: (0,2) closes


def test_two_editions_of_one_name_on_one_day_get_distinct_addresses() -> None:
    first = make_edition(0)
    later = replace(first, id="ochtend-2026-01-05T0900", slot=first.slot + timedelta(hours=2))
    urls = [e.url for e in place_editions([later, first], SETTINGS)]
    assert urls == ["2026/01/05/ochtend/", "2026/01/05/ochtend-0900/"]


def test_chart_counts_each_brief_once_on_its_local_day() -> None:
    editions = make_editions(6)
    repeated = replace(editions[-1], sections=editions[-1].sections + editions[-2].sections[:1])
    entries = place_editions([*editions[:-1], repeated], SETTINGS)
    region = next(r for r in collect_regions(entries) if r.id == "groenland")
    counts = chart_counts(region, entries[-1].local_slot.date(), ZONE)
    assert len(counts) == 30 and counts[-1][0] == entries[-1].local_slot.date()
    stories = {b.story.id for e in region.entries for b in e.section.briefs}
    assert sum(n for _, n in counts) == len(stories)


# --- the published archive ----------------------------------------------------------


def test_every_page_parses_as_strict_html5_with_lang_nl(archive: Path) -> None:
    pages = list(html_files(archive))
    assert len(pages) > 20
    for page in pages:
        tree = parse_html(page)
        assert tree.get("lang") == "nl", page
        assert len(tree.findall(".//h1")) == 1, page
        assert tree.find(".//main") is not None and tree.find(".//nav") is not None


def test_every_internal_link_resolves(archive: Path) -> None:
    links = list(internal_links(archive))
    assert len(links) > 200
    for page, href, target, fragment in links:
        assert target.is_file(), f"{page}: {href} -> missing {target}"
        if fragment and target.suffix == ".html":
            assert fragment in ids_of(target), f"{page}: {href} -> no id {fragment}"


def test_edition_pages_live_at_their_local_date_with_neighbours(archive: Path) -> None:
    first = archive / "2026/01/05/ochtend/index.html"
    second = archive / "2026/01/05/avond/index.html"
    assert first.is_file() and second.is_file()
    links = {(p.name, h, t) for p, h, t, _ in internal_links(archive) if p == second}
    hrefs = {h for _, h, _ in links}
    # Links name the index page, so that they also work opened from disk (file://).
    assert "../../../../2026/01/05/ochtend/index.html" in hrefs  # previous
    assert "../../../../2026/01/06/ochtend/index.html" in hrefs  # next
    text = second.read_text()
    assert "maandag 5 januari 2026, 19:00" in text
    assert f'<link rel="canonical" href="{BASE}/2026/01/05/avond/">' in text


def test_edition_page_shows_the_mail_body_exactly(archive: Path) -> None:
    """The mail's sections, with each entry's headline linked to its story page."""
    edition = make_edition(3)
    body = render_edition_body(edition, locale="nl", env=default_environment("nl"))
    page = (archive / "2026/01/06/avond/index.html").read_text()
    links = re.findall(r'<a class="entry-story" href="([^"]+)">', page)
    assert len(links) == len(edition.story_ids())
    assert all(link.startswith("../../../../verhaal/") for link in links)
    assert all((archive / "2026/01/06/avond" / link).is_file() for link in links)
    unlinked = re.sub(r'<a class="entry-story" href="[^"]+">(.*?)</a>', r"\1", page)
    assert body.strip() in unlinked


def test_markdown_beside_each_edition_has_the_mails_sections(archive: Path) -> None:
    env = archive_environment()
    mail = render_edition(make_edition(0), site_title="Digest", base_url=BASE, env=env).markdown
    page = (archive / "2026/01/05/ochtend/index.md").read_text()

    def sections(text: str) -> str:
        return text[text.index("\n## ") : text.rindex("\n---\n")]

    assert sections(page) == sections(mail)  # archive and mail never disagree
    assert "Bericht 0-0" in page and "\\<script>" not in page
    assert page.startswith("# Ochtendeditie\n")
    assert MARK_OPEN not in page and "Afmelden" not in page and "Goedemorgen" not in page
    assert page.rstrip().endswith(f"({BASE}/2026/01/05/ochtend/)")


def test_index_is_newest_first_with_dutch_dates_and_stable_pages(archive: Path) -> None:
    front = (archive / "index.html").read_text()
    titles = re.findall(r'edition-item-title"><a href="([^"]+)"', front)
    urls = [e.url for e in place_editions(make_editions(11), SETTINGS)]
    urls = [url + "index.html" for url in urls]
    assert titles == urls[::-1][: len(titles)] and titles[0] == "2026/01/10/ochtend/index.html"
    assert 4 <= len(titles) < 8  # the last full page of 4 and the open one
    assert "zaterdag 10 januari 2026" in front
    older = (archive / "pagina/1/index.html").read_text()
    assert re.findall(r'edition-item-title"><a href="([^"]+)"', older)[-1].endswith(
        "2026/01/05/ochtend/index.html"
    )


def test_the_front_page_mentions_the_buttons_only_when_there_are_older_pages(
    archive: Path, tmp_path: Path
) -> None:
    buttons = "oudere vind je via de knoppen onderaan"
    assert buttons in (archive / "index.html").read_text()  # 11 editions, 4 a page
    build_archive(make_editions(3), SETTINGS, tmp_path / "site", search=False)
    front = (tmp_path / "site" / "index.html").read_text()
    assert buttons not in front and "De nieuwste edities staan bovenaan." in front


def test_region_page_has_its_briefs_and_an_accessible_chart(archive: Path) -> None:
    tree = parse_html(archive / "regio/groenland/index.html")
    svg_ns = "{http://www.w3.org/2000/svg}"
    svg = tree.find(f".//{svg_ns}svg")
    assert svg is not None and svg.get("role") == "img"
    assert svg.find(f"{svg_ns}title") is not None and svg.find(f"{svg_ns}desc") is not None
    assert len(svg.findall(f"{svg_ns}rect")) >= 1
    text = (archive / "regio/groenland/index.html").read_text()
    assert "Groenland" in text and "Bericht 10-" in text
    assert (archive / "regio/index.html").read_text().count("regio/") >= 3


def sitemap_addresses(archive: Path) -> list[str]:
    """Every address the sitemap files that ``sitemap.xml`` lists give."""
    namespace = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    index = ElementTree.parse(archive / "sitemap.xml").getroot()
    assert index.tag == f"{namespace}sitemapindex"
    listed = []
    for loc in index.iter(f"{namespace}loc"):
        assert loc.text is not None and loc.text.startswith(BASE + "/sitemap-")
        tree = ElementTree.parse(archive / loc.text.removeprefix(BASE + "/"))
        listed += [e.text or "" for e in tree.iter(f"{namespace}loc")]
    return listed


def test_sitemap_lists_every_page(archive: Path) -> None:
    listed = sitemap_addresses(archive)
    pages = {BASE + page_address(archive, p) for p in html_files(archive) if p.name != "404.html"}
    assert sorted(listed) == sorted(pages)  # each once
    robots = (archive / "robots.txt").read_text()
    assert f"Sitemap: {BASE}/sitemap.xml" in robots


def test_untrusted_text_is_inert_in_every_page(archive: Path) -> None:
    assert "Bericht 0-5" in (archive / "2026/01/05/ochtend/index.html").read_text()
    for page in html_files(archive):
        for element in parse_html(page).iter():
            if element.tag == "script" and element.get("type") == "application/ld+json":
                data = json.loads(element.text or "")  # data, never code: hostile text stays in it
                assert data["@context"] == "https://schema.org", page
            elif element.tag == "script":
                assert element.get("src", "").startswith(("assets/", "../")), page
                assert not (element.text or "").strip(), page
            assert element.tag not in ("img", "iframe", "object", "embed"), page
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (page, name)
                assert not value.strip().lower().startswith("javascript:"), (page, value)


def test_publish_command_publishes_editions_built_from_snapshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole pipeline: seeds and test snapshots ingested, two editions built
    and recorded, then published from the store; then again to the same ``--out``,
    absolute and relative (it was followed to the live generation and refused as
    "not a digest archive" from the second publish on)."""
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
[[editions]]
name = "avond"
title = "Avondeditie"
window = "12h"
[archive]
base_url = "{BASE}"
""",
        encoding="utf-8",
    )
    run = ["--config", str(config)]
    sources = [
        ("seeds", "05:50:00+00:00", "ochtend", "07:00:00+01:00"),
        ("tests/data/snapshots", "16:30:00+00:00", "avond", "18:00:00+01:00"),
    ]
    for folder, captured, edition, slot in sources:
        ingest = ["ingest", str(PROJECT_ROOT / folder), "--captured-at", f"2026-01-21T{captured}"]
        assert main([*run, *ingest, "--quiet"]) == 0
        build = ["build", edition, "--at", f"2026-01-21T{slot}", "--out", str(tmp_path / "mail")]
        assert main([*run, *build]) == 0
    out = tmp_path / "site"
    assert main([*run, "publish", "--out", str(out), "--no-search"]) == 0
    assert "2 editions" in capsys.readouterr().out
    morning = (out / "2026/01/21/ochtend/index.html").read_text()
    assert "Groenland" in morning and "Kallas" in morning
    assert (out / "2026/01/21/avond/index.md").is_file()
    assert (out / "regio/groenland/index.html").is_file()
    for page, href, target, _ in internal_links(out):  # parses every page strictly
        assert target.is_file(), f"{page}: {href}"
    for feed in [out / "feed.xml", *out.glob("regio/*/feed.xml")]:
        assert feedparser.parse(feed.read_bytes()).bozo == 0, feed
    monkeypatch.chdir(tmp_path)
    for again in (str(out), "site"):
        assert main([*run, "publish", "--out", again, "--no-search"]) == 0, again
        assert " 0 files written" in capsys.readouterr().out
    assert out.is_symlink()
    assert list((tmp_path / ".site.generations").glob(".*.generations")) == []


def test_publish_archive_has_every_recorded_edition_whatever_the_clock(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editions of slots after the real clock (a run --at a later moment) were left
    out, so an edition that was mailed was missing from the archive."""
    editions = make_editions(4)
    monkeypatch.setattr(store_editions, "list_editions", lambda store, **_: editions)
    config = config_from_dict({"archive": {"base_url": BASE}}, tmp_path / "digest.toml")
    report = publish_archive(sqlite_store, config, out=tmp_path / "site", search=False)
    assert report.editions == 4
    assert (tmp_path / "site/2026/01/06/ochtend/index.html").is_file()
    assert (tmp_path / "site/2026/01/06/avond/index.html").is_file()


def test_sections_are_cut_right_when_the_partials_change(tmp_path: Path) -> None:
    """A [site] templates folder may restyle the edition body; region pages
    and feeds still show exactly their region's section."""
    partials = tmp_path / "templates" / "partials"
    partials.mkdir(parents=True)
    partials.joinpath("edition_body.html").write_text(
        '{% for section in edition.sections %}<section class="part">'
        "<h2>{{ section_title(section) }}</h2>{% for brief in section.briefs %}"
        "<p>{{ brief.story.text }}</p>{% endfor %}</section>{% endfor %}",
        encoding="utf-8",
    )
    env = archive_environment([tmp_path / "templates"])
    out = tmp_path / "site"
    build_archive(make_editions(2), SETTINGS, out, env=env, search=False)
    region = (out / "regio/iran/index.html").read_text()
    edition = make_edition(0)
    iran = next(s for s in edition.sections if s.region_id == "iran")
    others = [b for s in edition.sections if s.region_id != "iran" for b in s.briefs]
    assert all(b.story.text.split(" Bericht")[0] in region for b in iran.briefs)
    assert not any(f"Bericht 0-{b.story.id[-1]}." in region for b in others)
    assert '<section class="part">' in (out / "2026/01/05/ochtend/index.html").read_text()


def test_pages_use_the_macros_of_a_templates_folder(tmp_path: Path) -> None:
    """Pages find ``m`` without importing it: a [site] templates folder's
    ``archive/macros.html`` is the one they call, and an overridden page that
    still imports the macros itself renders too."""
    archive = tmp_path / "templates" / "archive"
    archive.mkdir(parents=True)
    shipped = (Path(__file__).parents[1] / "templates/archive/macros.html").read_text()
    mine = shipped.replace("<time datetime=", '<time class="mine" datetime=', 1)
    archive.joinpath("macros.html").write_text(mine, encoding="utf-8")
    archive.joinpath("topics.html").write_text(
        '{% import "archive/macros.html" as mine %}{{ mine.briefs(3) }}', encoding="utf-8"
    )
    env = archive_environment([tmp_path / "templates"])
    out = tmp_path / "site"
    build_archive(make_editions(2), SETTINGS, out, env=env, search=False)
    assert '<time class="mine"' in (out / "2026/01/05/ochtend/index.html").read_text()
    assert (out / "onderwerp/index.html").read_text().strip() == "3 berichten"


def test_a_region_page_shows_an_updated_story_once(tmp_path: Path) -> None:
    """Region pages showed each brief of a repeated story twice."""
    first, second = make_editions(2)
    story = first.sections[0].briefs[0].story
    updated = replace(story, text=story.text + " Nu meer doden.", revisions=2)
    brief = replace(second.sections[0].briefs[0], story=updated, updated=True)
    section = next(s for s in second.sections if s.region_id == first.sections[0].region_id)
    section = replace(section, briefs=(brief, *section.briefs))
    second = replace(
        second,
        sections=tuple(section if s.key == section.key else s for s in second.sections),
    )
    out = tmp_path / "site"
    publish([first, second], out)
    region = slug_of(first.sections[0].region_id)
    page = (out / "regio" / region / "index.html").read_text(encoding="utf-8")
    marker = story.text.rsplit("Bericht ", 1)[1]
    assert page.count(f"Bericht {marker}") == 1
    assert "Nu meer doden." in page  # the newest edition's version is the one shown


def test_every_page_links_to_the_sign_up_page(tmp_path: Path) -> None:
    settings = replace(SETTINGS, signup_url="https://digest.example.org/")
    out = tmp_path / "site"
    build_archive(make_editions(3), settings, out, search=False)
    for path in html_files(out):
        if path.name != "404.html":
            assert 'href="https://digest.example.org/"' in path.read_text(), path


def slug_of(region_id: str | None) -> str:
    assert region_id is not None
    return region_id


def test_an_edition_page_with_a_story_of_two_regions_links_only_to_its_sections(
    tmp_path: Path,
) -> None:
    """The table of contents once linked to a section the page no longer had."""
    edition = make_edition(0)
    first, *rest = [s for s in edition.sections if s.region_id]
    other = rest[0]
    shared = replace(other, briefs=first.briefs[:1])  # only a story already in `first`
    edition = replace(
        edition, sections=tuple(shared if s.key == other.key else s for s in edition.sections)
    )
    out = tmp_path / "site"
    publish([edition], out)
    page = next(out.glob("2026/*/*/*/index.html")).read_text(encoding="utf-8")
    targets = set(re.findall(r'id="(section-[a-z-]+)"', page))
    for anchor in re.findall(r'href="#(section-[a-z-]+)"', page):
        assert anchor in targets, anchor
    assert (
        page.count(first.briefs[0].story.text[-30:]) == 1
    )  # the end: a headline repeats the opening


# --- search shards -----------------------------------------------------------------


def test_search_shards_are_years_months_and_the_newest_months_weeks() -> None:
    from digest.publish.search import plan_shards

    editions = [*make_editions(2, datetime(2025, 11, 3, 7, tzinfo=ZONE))]
    editions += make_editions(2, datetime(2026, 1, 20, 7, tzinfo=ZONE))
    editions += make_editions(2, datetime(2026, 2, 7, 7, tzinfo=ZONE))
    editions += make_editions(2, datetime(2026, 2, 28, 7, tzinfo=ZONE))
    shards = plan_shards(place_editions(editions, SETTINGS), "site")
    assert [(s.name, s.glob) for s in shards] == [
        ("2026-02-d22", "2026/02/{22,23,24,25,26,27,28,29,30,31}/**/index.html"),
        ("2026-02-d01", "2026/02/{01,02,03,04,05,06,07}/**/index.html"),
        ("2026-01", "2026/01/**/index.html"),
        ("2025", "2025/**/index.html"),
    ]


def test_a_new_edition_reindexes_only_its_week(tmp_path: Path) -> None:
    from digest.publish.search import pagefind_binary

    if pagefind_binary() is None:
        pytest.skip("the Pagefind binary is missing; pip install 'pagefind[extended]'")
    out = tmp_path / "archief"
    editions = make_editions(9)  # 5 to 9 January: the weeks of the 1st and the 8th
    report = publish(editions[:8], out, search=True)
    assert report.search == "2 shards, 2 rebuilt"
    report = publish(editions, out, search=True)
    assert report.search == "2 shards, 1 rebuilt"
    rebuilt = {p.split("/")[1] for p in report.written_paths if p.startswith("pagefind/")}
    assert rebuilt == {"2026-01-d08"}
    entry = json.loads((out / "pagefind/2026-01-d08/pagefind-entry.json").read_text())
    pages = sum(lang["page_count"] for lang in entry["languages"].values())
    assert pages == 3  # 8 January twice, 9 January once
