"""Property tests: parsing never crashes, and well-formed pages lose no dateline.

Pages are generated from random briefs (datelines with random places and
agencies, random time wordings, bodies and titles) rendered in each layout,
then disturbed the way scraped text is (CRLF, non-breaking spaces, trailing
blanks, zero-width characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.ingest.reltime import parse_time
from digest.ingest.wire import parse_snapshot

CAPTURED = datetime(2026, 1, 20, 14, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
AGENCIES = ["ANP", "AFP", "RTR", "DPA", "AP", "EFE", "BLOOMBERG", "NTB", "BELGA"]
PLACE_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWZÀÉÈËÏÖÜÇÑÃÅØŁŠŽ"
WORDS = (
    "de het een minister zegt dat regering wil meer geld voor onderwijs politie "
    "onderzoek stad haven brand storm trein ziekenhuis rechter school water "
    "vandaag besluit volgens bronnen nieuwe wet parlement burgemeester"
).split()
SETTINGS = settings(max_examples=150, deadline=None)


@dataclass(frozen=True)
class Brief:
    place: str
    agencies: tuple[str, ...]
    time: str
    title: str
    body: str

    def dateline(self) -> str:
        if self.agencies:
            return f"{self.place} ({'/'.join(self.agencies)}) - {self.body}"
        return f"{self.place} - {self.body}"


place_words = st.text(alphabet=PLACE_LETTERS, min_size=3, max_size=10)
places = st.one_of(
    place_words,
    st.builds(
        lambda a, s, b: a + s + b, place_words, st.sampled_from([" ", "-", "/"]), place_words
    ),
    st.builds(lambda a: "ST. " + a, place_words),
    st.builds(lambda a: "’S-" + a, place_words),
)
times = st.one_of(
    st.sampled_from(["zojuist", "gisteren", "een uur geleden", "een half uur geleden"]),
    st.builds("{} minuten geleden".format, st.integers(2, 59)),
    st.builds("{} uur geleden".format, st.integers(1, 23)),
    st.builds("{} dagen geleden".format, st.integers(2, 6)),
    st.builds("{} maanden geleden".format, st.integers(2, 11)),
    st.builds("gisteren {:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
    st.builds("vandaag {:02d}:{:02d}".format, st.integers(0, 13), st.integers(0, 59)),
    st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
    st.builds(
        "{} januari 2025 {:02d}:{:02d}".format,
        st.integers(1, 31),
        st.integers(0, 23),
        st.integers(0, 59),
    ),
)
phrases = st.lists(st.sampled_from(WORDS), min_size=4, max_size=25).map(" ".join)
bodies = phrases.map(lambda text: f"Het kabinet zegt dat {text}.")  # a sentence, as on the wire
titles = st.lists(st.sampled_from(WORDS), min_size=2, max_size=8).map(
    lambda words: "Kop: " + " ".join(words)
)
briefs = st.builds(
    Brief,
    places,
    st.lists(st.sampled_from(AGENCIES), max_size=3).map(tuple),
    times,
    titles,
    bodies,
)
DISTURBANCES = [
    lambda page: page,
    lambda page: page.replace("\n", "\r\n"),
    lambda page: page.replace(" ", "\u00a0", 3),
    lambda page: page.replace("\n", "  \n"),
    lambda page: "\ufeff" + page.replace(" (", "\u200b (", 2),
]


def render_compact(items: list[Brief], lead: bool) -> str:
    lines = ["Rusland: kop van het hoofdartikel", items[0].dateline(), "Tweede alinea."] * lead
    lines.append("Meer uit Buitenland")
    previous = ""
    for item in items:
        lines.append(previous + item.dateline())
        previous = item.time
    lines.append(previous)
    return "\n".join(lines)


def render_titled(items: list[Brief], lead: bool) -> str:
    blocks = ["Webmail", "Kop van het hoofdartikel", items[0].dateline()] * lead
    blocks.append("Meer uit Buitenland")
    for item in items:
        blocks += [item.title, item.dateline(), item.time]
    return "\n\n".join(blocks).replace("\n\nKop: ", "\nKop: ")


def render_list(items: list[Brief], lead: bool) -> str:
    del lead  # list pages have no lead article
    lines = ["dinsdag 20 januari 2026", "Editie: NL & Wereld", "Buitenland"]
    for item in items:
        lines += ["ANP " + item.title, item.dateline(), item.time]
    return "\n".join(lines)


@SETTINGS
@given(st.text())
def test_arbitrary_text_never_crashes(text: str) -> None:
    result = parse_snapshot(text, CAPTURED, "random.txt")
    for item in result.items:
        assert item.published_at is None or item.published_at <= CAPTURED


fragments = st.sampled_from(
    ["MOSKOU (ANP) - ", "Meer uit Buitenland", "15 minuten geleden", "gisteren", "\r\n",
     "\n", "09:12", "’S-", "(", ")", " - ", "–", "\u00a0", "\u200b", "Lees meer", "ANP ",
     "31-02-2026 10:00", "maandag 3 november 2025", "Editie", "tekst.", "Kop", "VS"]
)  # fmt: skip


@SETTINGS
@given(st.lists(st.one_of(fragments, st.text(max_size=5)), max_size=40).map("".join))
def test_wire_like_noise_never_crashes(text: str) -> None:
    result = parse_snapshot(text, CAPTURED, "noise.txt")
    for item in result.items:
        if item.published_at is not None:
            assert item.earliest is not None and item.earliest <= item.published_at <= CAPTURED


@SETTINGS
@given(
    st.lists(briefs, min_size=1, max_size=8),
    st.sampled_from([render_compact, render_titled, render_list]),
    st.booleans(),
    st.sampled_from(DISTURBANCES),
)
def test_every_dateline_comes_back_with_agencies_and_time(
    items: list[Brief], render: object, lead: bool, disturb: object
) -> None:
    page = disturb(render(items, lead))  # type: ignore[operator]
    result = parse_snapshot(page, CAPTURED, "generated.txt")
    parsed = [item for item in result.items if item.kind == "brief"]
    expected = [
        (
            b.place.replace("’", "'"),
            b.agencies,
            span.latest if (span := parse_time(b.time, CAPTURED)) else None,
            b.body,
        )
        for b in items
    ]
    assert [(i.dateline, i.agencies, i.published_at, i.text) for i in parsed] == expected
    if render is not render_compact:
        assert [i.title for i in parsed] == [b.title for b in items]
    assert result.warnings == ()
