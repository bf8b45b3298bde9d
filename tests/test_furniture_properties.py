"""Property: known briefs surrounded by generated site furniture (rubric, byline,
date line, photo id, caption, name alone above; share row, sidebar, teasers,
footer below) parse back to exactly those briefs, with no furniture in them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.ingest.wire import parse_snapshot

ZONE = ZoneInfo("Europe/Amsterdam")
CAPTURED = datetime(2026, 1, 20, 14, 0, tzinfo=ZONE)
WORDS = (
    "de het een minister zegt dat regering wil meer geld voor onderwijs politie "
    "onderzoek stad haven brand storm trein ziekenhuis rechter school water"
).split()
PLACES = ["DEN HAAG", "OSLO", "TEHERAN/MADRID", "MEXICO-STAD", "BRUSSEL", "'S-HERTOGENBOSCH"]
AGENCIES = ["ANP", "anp", "afp/belga", "ANP/AFP", "Belga", "reuters"]
ABOVE = [
    ["Samenleving", "door anp"],
    ["Buitenland", "Door ANP"],
    ["Bron: ANP"],
    ["anp190126127 1"],
    ["ANP-470856797"],
    ["Een foto bij het bericht Ⓒ foto REUTERS"],
    ["Foto: ANP / Fotograaf Naam"],
    ["Jan de Vries"],
    ["Donald Trump"],
]
BELOW = [
    ["Deel dit artikel", "Facebook Twitter WhatsApp"],
    ["loading", "POPULAIR NIEUWS", "Teaser kop een", "Teaser kop twee"],
    ["Lees ook", "Een kop van elders"],
    ["Meest gelezen", "1 Kop van elders"],
    ["Privacy | Cookies"],
    ["Over ons", "Contact", "Colofon"],
]
FURNITURE = {line for block in ABOVE + BELOW for line in block}

sentence = st.lists(st.sampled_from(WORDS), min_size=6, max_size=14).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
title = st.lists(st.sampled_from(WORDS), min_size=3, max_size=7).map(
    lambda ws: " ".join(ws).capitalize()
)
brief = st.tuples(
    st.sampled_from(PLACES), st.sampled_from(AGENCIES), title, sentence,
    st.lists(st.sampled_from(ABOVE), max_size=3), st.lists(st.sampled_from(BELOW), max_size=3),
    st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59),
)  # fmt: skip


def furnish(parts: list[list[str]]) -> list[str]:
    return [line for part in parts for line in part]


@given(st.lists(brief, min_size=1, max_size=4))
@settings(max_examples=120, deadline=None)
def test_briefs_inside_site_furniture_come_back_whole(
    briefs: list[tuple[str, str, str, str, list[list[str]], list[list[str]], int, int]],
) -> None:
    lines: list[str] = ["Menu", "Home Sport Weer"]
    for place, agency, head, body, above, below, hour, minute in briefs:
        stamp = f"19 januari 2026 {hour:02d}:{minute:02d}"
        lines += [*furnish(above[:1]), "door anp", stamp, head, *furnish(above[1:])]
        lines += [f"{place} ({agency}) - {body}", *furnish(below)]
    lines.append("Privacy | Cookies")
    items = parse_snapshot("\n".join(lines), CAPTURED, "page").items
    assert [(i.title, i.text) for i in items] == [(b[2], b[3]) for b in briefs]
    for item, b in zip(items, briefs, strict=True):
        assert item.published_at == datetime(2026, 1, 19, b[6], b[7], tzinfo=ZONE)
        assert item.agencies == tuple(b[1].upper().split("/"))
        assert not FURNITURE & {item.title, *item.text.split("\n\n")}


@given(st.lists(brief, min_size=1, max_size=4))
@settings(max_examples=120, deadline=None)
def test_trailing_times_and_furniture_between_briefs(
    briefs: list[tuple[str, str, str, str, list[list[str]], list[list[str]], int, int]],
) -> None:
    lines: list[str] = []
    for n, (place, agency, head, body, above, below, _h, _m) in enumerate(briefs):
        lines += [head, *furnish(above), f"{place} ({agency}) - {body}"]
        lines += [f"{n + 1} minuten geleden", *furnish(below)]
    items = parse_snapshot("\n".join(lines), CAPTURED, "page").items
    assert [(i.title, i.text) for i in items] == [(b[2], b[3]) for b in briefs]
    assert all(i.published_at is not None for i in items)
