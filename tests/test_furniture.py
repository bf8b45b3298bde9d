"""Other sites' furniture around ANP items (issue 15): rubric and byline lines,
date lines above the item, photo ids and captions, names alone, sidebars and
teaser lists, share rows, footers, cookie notices, lower-case agencies and
stripped datelines. The pages under tests/data/sites are written for these
tests in the shapes seen on real sites (no site's text is copied)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.ingest.furniture import (
    is_byline,
    is_caption,
    is_furniture,
    is_person_name,
    is_photo_id,
    is_sidebar_head,
)
from digest.ingest.wire import parse_snapshot
from digest.model import Item

SITES = Path(__file__).parent / "data" / "sites"
ZONE = ZoneInfo("Europe/Amsterdam")
CAPTURED = datetime(2026, 1, 19, 14, 0, tzinfo=ZONE)
FURNITURE = [
    "Samenleving", "door anp", "anp190126127", "ANP-470856797", "Ⓒ foto", "loading",
    "POPULAIR NIEUWS", "Lees ook", "Teaser", "teaserkop", "Privacy", "Cookies", "cookies",
    "Facebook", "Deel dit", "Webmail", "Home", "Menu", "Foto:", "Abbas Araghchi",
    "Marieke van den Berg", "Volg ons", "Meest gelezen", "Over ons", "Contact", "©", "(ANP)",
    "Accepteren", "Kop van", "Bewoners", "WhatsApp", "Reageer", "Meer over", "12:10",
    "Laatste update", "Cookie",
]  # fmt: skip

# file -> (title, dateline, agencies, local time "HH:MM", opening words) per item
EXPECTED: dict[str, list[tuple[str | None, str | None, tuple[str, ...], str, str]]] = {
    "byline_site.txt": [
        ("Kabinet wil strengere regels voor drones boven woonwijken", "DEN HAAG", ("ANP",),
         "12:34", "Het kabinet wil"),
    ],
    "caption_site.txt": [
        ("Iran en Spanje praten over vrijlating van gevangenen", "TEHERAN/MADRID",
         ("AFP", "BELGA"), "13:55", "Iran en Spanje onderhandelen"),
        ("Brussel zoekt oplossing voor tekort aan leraren", "BRUSSEL", ("BELGA",), "13:48",
         "De Vlaamse regering"),
    ],
    "stripped_site.txt": [
        ("Trump kondigt nieuwe heffingen aan", None, (), "10:15", "De Amerikaanse president"),
        ("Storm legt treinverkeer in het noorden plat", None, ("ANP",), "09:40",
         "Door de harde wind"),
    ],
    "flat_html_site.txt": [
        (None, "OSLO", ("ANP", "NTB"), "10:05", "Het Nobelcomité"),
        (None, "ROME", ("ANP",), "09:30", "De Italiaanse regering"),
    ],
    "update_site.txt": [
        ("Rusland en Oekraïne ruilen gevangenen uit", "KIEV", ("ANP", "REUTERS"), "12:34",
         "Rusland en Oekraïne hebben"),
    ],
    "header_list_site.txt": [
        ("Brand verwoest loods op bedrijventerrein", None, ("ANP",), "08:15", "In een loods"),
        ("Veerdienst vaart weer volgens dienstregeling", "VLISSINGEN", (), "07:50",
         "De fast ferry"),
    ],
}  # fmt: skip


def parse_site(name: str) -> tuple[tuple[Item, ...], list[str]]:
    result = parse_snapshot((SITES / name).read_text("utf-8"), CAPTURED, name)
    return result.items, [str(w) for w in result.warnings]


def assert_clean(item: Item) -> None:
    for junk in FURNITURE:
        assert junk not in (item.title or ""), (junk, item.title)
        assert junk not in item.text, (junk, item.text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_site_layouts_parse_every_item_and_no_furniture(name: str) -> None:
    items, warnings = parse_site(name)
    got = [
        (
            i.title,
            i.dateline,
            i.agencies,
            i.published_at.astimezone(ZONE).strftime("%H:%M") if i.published_at else "",
            i.text[: len(want[4])],
        )
        for i, want in zip(items, EXPECTED[name], strict=False)
    ]
    assert got == EXPECTED[name]
    assert len(items) == len(EXPECTED[name])
    for item in items:
        assert item.kind == "brief"
        assert_clean(item)
    assert warnings == []


def test_rubric_and_byline_are_not_an_item_and_the_date_line_dates_the_next() -> None:
    """The finding: ``title='Samenleving', text='door anp'`` took the page's time; the
    real item was undated, titled with its photo id, and had the sidebar glued on."""
    items, _ = parse_site("byline_site.txt")
    [item] = items
    assert item.section == "Samenleving"
    assert item.published_at == datetime(2026, 1, 19, 12, 34, tzinfo=ZONE)
    assert item.text.endswith("staat in de brief.")


def test_lower_case_agencies_are_datelines() -> None:
    page = "\n".join(
        [
            "DEN HAAG (anp) - Het kabinet neemt vandaag een besluit over de dijken.",
            "5 minuten geleden",
            "TEHERAN/MADRID (afp/belga) - Iran en Spanje praten over gevangenen.",
            "8 minuten geleden",
        ]
    )
    items = parse_snapshot(page, CAPTURED, "p").items
    assert [(i.dateline, i.agencies) for i in items] == [
        ("DEN HAAG", ("ANP",)),
        ("TEHERAN/MADRID", ("AFP", "BELGA")),
    ]


def test_a_news_page_without_items_is_warned_by_name() -> None:
    page = (
        "Het kabinet heeft vandaag besloten om meer geld uit te trekken voor de dijken.\n"
        "Volgens de minister is dat nodig omdat het water steeds hoger komt te staan.\n"
    )
    result = parse_snapshot(page, CAPTURED, "news.txt")
    assert result.items == ()
    assert [w.source for w in result.warnings] == ["news.txt"]
    assert "looks like a news page" in result.warnings[0].message


def test_a_menu_alone_is_not_news_and_not_warned() -> None:
    result = parse_snapshot("Home\nSport\nWeer\nWebmail\n", CAPTURED, "menu.txt")
    assert result.items == () and result.warnings == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("door anp", "byline"),
        ("Door ANP/AFP", "byline"),
        ("Bron: ANP", "byline"),
        ("door Jan de Vries", "byline"),
        ("anp190126127 1", "photo"),
        ("ANP-470856797", "photo"),
        ("EPA-EFE_12345678", "photo"),
        ("Demonstranten in de hoofdstad Ⓒ foto REUTERS", "caption"),
        ("Foto: ANP / Jan Fotograaf", "caption"),
        ("Donald Trump", "name"),
        ("Mark van der Berg", "name"),
        ("loading", "sidebar"),
        ("POPULAIR NIEUWS", "sidebar"),
        ("Lees ook:", "sidebar"),
    ],
)
def test_furniture_shapes(text: str, kind: str) -> None:
    checks = {
        "byline": is_byline,
        "photo": is_photo_id,
        "caption": is_caption,
        "name": is_person_name,
        "sidebar": is_sidebar_head,
    }
    assert checks[kind](text)


@pytest.mark.parametrize(
    "text",
    [
        "Kabinet trekt extra geld uit voor dijkversterking",
        "Door de harde wind rijden er geen treinen.",
        "Trump dreigt met heffingen",
        "Iran en Spanje praten over gevangenen",
        "De minister zegt dat het water stijgt.",
        "Minister: meer geld voor dijken",
    ],
)
def test_headlines_and_sentences_are_not_furniture(text: str) -> None:
    assert not is_byline(text) and not is_furniture(text) and not is_sidebar_head(text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_html_pages_read_as_a_browser_user_reads_them(name: str) -> None:
    """The same items inside a <title>, a cookie banner, navigation, a sidebar and a
    footer: none of that reaches an item."""
    from digest.ingest.pages import parse_bytes

    html = (SITES / name.replace(".txt", ".html")).read_bytes()
    read = parse_bytes(html, name, CAPTURED)
    assert read.kind == "html"
    items = read.result.items
    pairs = zip(items, EXPECTED[name], strict=False)
    got = [(i.dateline, i.agencies, i.text[: len(w[4])]) for i, w in pairs]
    assert got == [(w[1], w[2], w[4]) for w in EXPECTED[name]]
    assert len(items) == len(EXPECTED[name])
    for item in items:
        assert_clean(item)
        assert "Voorbeeldsite" not in (item.title or "") + item.text  # the <title>
        assert item.published_at is not None


def test_html_chrome_elements_are_dropped_from_visible_text() -> None:
    from digest.ingest.sources import html_to_text

    html = (
        "<html><head><title>Kop | Site</title></head><body>"
        '<div class="cookie-consent"><p>Wij gebruiken cookies.</p><button>OK</button></div>'
        "<nav><ul><li>Home</li><li>Sport</li></ul></nav><p>Het nieuws.<p>Meer nieuws."
        "<aside>Meest gelezen</aside><footer>Privacy | Cookies</footer></body></html>"
    )
    assert html_to_text(html, drop_chrome=True) == "Het nieuws.\nMeer nieuws."


def test_byline_and_date_on_one_line_and_a_date_above_the_byline() -> None:
    for header in (
        ["Samenleving", "door anp | 19 januari 2026, 12:34"],
        ["Samenleving", "19 jan. 2026 om 12:34", "door anp"],
        ["Samenleving", "Door ANP 19 jan. 2026 om 12:34"],
    ):
        page = "\n".join(
            [
                *header,
                "Kabinet trekt geld uit voor dijken",
                "ANP / Robin van Fotograaf",
                "DEN HAAG (ANP) - Het kabinet trekt extra geld uit voor de dijken in het land.",
                "Meest gelezen",
                "Een kop van elders",
            ]
        )
        [item] = parse_snapshot(page, CAPTURED, "p").items
        assert item.title == "Kabinet trekt geld uit voor dijken", header
        assert item.published_at == datetime(2026, 1, 19, 12, 34, tzinfo=ZONE), header
        assert item.section == "Samenleving"
        assert_clean(item)


def test_lower_casing_the_agencies_of_good_pages_loses_nothing() -> None:
    """The finding: lower-casing ``(ANP)`` on otherwise good pages dropped 241 items to 214."""
    import re

    root = Path(__file__).resolve().parent.parent
    pages = [*sorted((root / "seeds").glob("*.txt")), *sorted(SITES.parent.glob("snapshots/*"))]
    assert pages
    for page in pages:
        text = page.read_text("utf-8")
        lowered = re.sub(r"\((ANP[^)]*)\)", lambda m: f"({m[1].lower()})", text)
        assert lowered != text, page
        want = [(i.dateline, i.agencies, i.text) for i in parse_snapshot(text, CAPTURED, "p").items]
        got = [
            (i.dateline, i.agencies, i.text) for i in parse_snapshot(lowered, CAPTURED, "p").items
        ]
        assert got == want, page
