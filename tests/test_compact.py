"""The compact fast path: the same items and warnings as the line parser alone,
on generated pages, mutated ones and hostile ones; and the lines it leaves to
the line parser."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.snapshots import generate_snapshot
from digest.ingest import wire
from digest.ingest.chrome import normalise_lines
from digest.ingest.compact import Brief, compact_brief
from digest.ingest.wire import _parse_lines, parse_snapshot
from tests.test_parse_properties import Brief as PageBrief
from tests.test_parse_properties import briefs, render_compact, times

CAPTURED = datetime(2026, 1, 20, 14, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
SETTINGS = settings(max_examples=200, deadline=None)

# Lines that make the line parser do something other than close and open a brief.
HOSTILE = [
    "", " ", "\u00a0", "\t", "Meer uit Sport", "meer nieuws uit de rubriek Economie",
    "MEER UIT BUITENLAND", "door anp", "Door Jan de Vries | 19 januari 2026, 12:34",
    "Gepubliceerd op 19 januari 2026 12:34", "Lees meer", "Lees ook:", "(ANP)", "Buitenland",
    "Populair", "Meest gelezen", "Foto: ANP", "ANP-470856797", "Editie: NL & Wereld",
    "dinsdag 20 januari 2026", "© ANP 2026", "Home Sport Weer", "Privacy | Cookies",
    "zojuist", "5 minuten geleden", "gisteren 21:05", "21:05", "een half uur geleden",
    "VLISSINGEN - Korte tekst.", "GOES - Een regionale tekst die lang genoeg is om te tellen.",
    "PSV - Ajax", "(ANP) - Tekst zonder plaats.", "(afp/belga) Tekst zonder plaats.",
    "- De Amerikaanse president zegt dat alles goed gaat met de economie van zijn land.",
    "Kop zonder punt", "ANP Kop van een lijst", "`S-HERTOGENBOSCH (ANP) - Tekst.",
    "MOSKOU (anp/afp) - tekst.", "Tekst van een bericht. (ANP)", "Nog een alinea.",
    "3 uur geledenMeer uit Sport", "3 uur geleden MOSKOU (ANP) - Met een spatie.",
    "2 uur geledenMOSKOU (ANP) - Lees meer", "2 uur geledenMOSKOU (ANP) - Het kabinet. (AFP)",
    "2 uur geledenMOSKOU (ANP) - Tekst, zojuist gemeld.", "1 uur geledenMOSKOU (ANP) - ",
    "2 uur geledenMOSKOU (ANP) - Tekst. zonetKYIV (ANP) - Nog een bericht.",  # review: "zonet"
    "1 uur geledenMOSKOU (ANP) -Tekst zonder spatie.", "10 minuten geleden(ANP) - Tekst.",
    "gisteren 21:05MOSKOU (ANP) - Tekst.", "zojuistKYIV (ANP/AFP) - Tekst.",
    "9999 jaren geledenKYIV (ANP) - Een tijd buiten de kalender.",
    "31 februari 2026KYIV (ANP) - Een datum die niet bestaat.",
    "4 uur geledenVANDAAG (ANP) - Een plaats als een tijd.",
    "4 uur geledenGOES - Te kort", "4 uur geledenGOES - Een regionale tekst die lang genoeg is.",
    "4 uur geledenMEER UIT X (ANP) - Tekst.", "Sidebar", "Loading", "Bekijk ook",
    "4 uur geleden’S-HERTOGENBOSCH (ANP) - Tekst.", "4 uur geledenGENÈVE (ANP) - Tekst.",
    "4 uur geledenΑΘΗΝΑ (ANP) - Griekse letters.", "x" * 600, "Heel lang. " * 80,
    "3 uur geleden`S-HERTOGENBOSCH (ANP) - Niet aan de tijd vast.",
    "12:30UUR (ANP) - Een klok die een plaats lijkt.",  # a shorter time would leave a dateline
    "2 uur geledenKYIV (ANP) - Kop zonder punt",
    "Kop\nKop\nKYIV (ANP) - Eerste.\n2 uur geledenKYIV (ANP) - Kop\n1 uur geleden",  # repeated
    "Meer uit Sport\nBuitenland\nMOSKOU (ANP) - Een brief onder een rubriek.",
    "Meer uit Sport\nBuitenland\nKop van een bericht\nMOSKOU (ANP) - Met een kop erboven.",
    "MOSKOU (ANP) - Eerste alinea.\nTweede alinea.\nEen kop van het volgende",
]  # fmt: skip


def parse_both(text: str) -> None:
    """The fast path and the line parser alone give the same result."""
    fast = parse_snapshot(text, CAPTURED, "page.txt")
    plain = _parse_lines(normalise_lines(text), CAPTURED, "page.txt", compact=False)
    assert fast == plain


@pytest.mark.parametrize("hostile", HOSTILE)
def test_each_hostile_line_at_each_place_of_a_page(hostile: str) -> None:
    """Every hostile line before, after and glued to every line of a small page."""
    lines = generate_snapshot(6, 11).split("\n")
    for at in range(len(lines) + 1):
        parse_both("\n".join([*lines[:at], hostile, *lines[at:]]))
        if at < len(lines):
            parse_both("\n".join([*lines[:at], lines[at] + hostile, *lines[at + 1 :]]))
            parse_both("\n".join([*lines[:at], "2 uur geleden" + hostile, *lines[at + 1 :]]))


@SETTINGS
@given(st.integers(0, 400), st.integers(0, 2**32))
def test_generated_snapshots(n: int, seed: int) -> None:
    parse_both(generate_snapshot(n, seed))


def _mutate(line: str, how: int, extra: str) -> list[str]:
    """One line of a page changed the way scraped text and odd pages change it."""
    changes: list[Callable[[], list[str]]] = [
        lambda: [extra, line],
        lambda: [line, extra],
        lambda: [line + extra],
        lambda: [extra + line],
        lambda: [line, line],  # a repeated line
        lambda: [],
        lambda: [line.replace(" - ", " – ", 1)],
        lambda: [line.replace(" (", " ", 1)],
        lambda: [line.replace(" ", "\u00a0")],
        lambda: [line.replace(" ", "  ", 2)],
        lambda: [line.replace(" ", "\t", 1)],
        lambda: [line + "\r"],
        lambda: [" " + line + " "],
        lambda: [line.lower()],
        lambda: [line + " (ANP)"],
        lambda: [line[: len(line) // 2]],
        lambda: [line + " Dat was 3 uur geleden."],
        lambda: [line + " " + line[-40:] * 30],
    ]
    return changes[how % len(changes)]()


@SETTINGS
@given(
    st.integers(1, 60),
    st.integers(0, 2**32),
    st.lists(
        st.tuples(st.integers(0, 80), st.integers(0, 100), st.sampled_from(HOSTILE)), max_size=8
    ),
)
def test_mutated_snapshots(n: int, seed: int, mutations: list[tuple[int, int, str]]) -> None:
    lines = generate_snapshot(n, seed).split("\n")
    for at, how, extra in mutations:
        at %= len(lines)
        lines[at : at + 1] = _mutate(lines[at], how, extra)
    parse_both("\n".join(lines))


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(HOSTILE), briefs.map(lambda b: b.dateline()))))
def test_hostile_pages(lines: list[str]) -> None:
    parse_both("\n".join(lines))


@SETTINGS
@given(st.lists(briefs, min_size=1, max_size=12), st.booleans(), st.lists(times, max_size=3))
def test_generated_briefs_with_any_time(
    items: list[PageBrief], lead: bool, extra: list[str]
) -> None:
    page = render_compact(items, lead)
    parse_both(page + "".join(extra))
    parse_both(page.replace("\n", "\r\n"))


@SETTINGS
@given(st.text(alphabet="AB (ANP)-.\n 1uregldnzojstM\u00a0", max_size=300))
def test_random_text(text: str) -> None:
    parse_both(text)


def test_a_compact_page_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property tests compare a path that is taken: all briefs but the first."""
    read: list[Brief | None] = []

    def counted(line: str, repeated: Collection[str]) -> Brief | None:
        read.append(compact_brief(line, repeated))
        return read[-1]

    monkeypatch.setattr(wire, "compact_brief", counted)
    assert len(parse_snapshot(generate_snapshot(500, 3), CAPTURED, "p").items) == 501
    assert sum(brief is not None for brief in read) == 499  # the first brief has no time before it


@pytest.mark.parametrize(
    "line",
    [
        "gisteren 21:05MOSKOU (ANP) - Tekst.",  # may open a page header
        "3 uur geleden`S-HERTOGENBOSCH (ANP) - Tekst.",  # not glued: the line is text
        "3 uur geledenMEER UIT X (ANP) - Tekst.",  # a marker
        "3 uur geledenMOSKOU (ANP) - Tekst. (AFP)",  # a trailing agency ends the item
        "3 uur geledenMOSKOU (ANP) - Lees meer",  # chrome
        "3 uur geledenMOSKOU (ANP) - Het was zojuist.",  # another time in the line
        "3 uur geledenMOSKOU (ANP) - ",  # no text
        "3 uur geledenPSV - Ajax",  # no dateline
        "12:30UUR (ANP) - Tekst.",  # the time is "12:30UUR", not a dateline "UUR (ANP)"
        "MOSKOU (ANP) - Geen tijd ervoor.",
    ],
)
def test_the_line_parser_reads_a_line_the_fast_path_is_not_sure_of(line: str) -> None:
    assert compact_brief(line, set()) is None
    assert compact_brief("2 uur geledenKYIV (ANP) - Eerste.", set()) == (
        "2 uur geleden", "KYIV", ("ANP",), "Eerste."
    )  # fmt: skip


def test_a_repeated_line_is_left_to_the_line_parser() -> None:
    line = "2 uur geledenKYIV (ANP) - Kop"
    assert compact_brief(line, {"Kop"}) is None
    assert compact_brief(line, set()) is not None


@given(st.lists(st.sampled_from(["", "a", "b", "KYIV (ANP) - Tekst.", "c"]), max_size=12))
def test_the_repeated_lines_are_those_a_count_finds(lines: list[str]) -> None:
    from collections import Counter

    from digest.ingest.wire import _repeated

    assert _repeated(lines) == {line for line, n in Counter(lines).items() if n > 1 and line}
