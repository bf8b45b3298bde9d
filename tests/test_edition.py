"""Selection and grouping: windows, sections, bands, ids, skip reasons."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.edition.group import edition_id, group_edition, skip_reason
from digest.edition.select import edition_window, recency_band, select_stories
from digest.model import BANDS, Carried, Edition, Story

ZONE = ZoneInfo("Europe/Amsterdam")
SLOT = datetime(2026, 1, 21, 7, 0, tzinfo=ZONE)
START = SLOT - timedelta(hours=24)


@dataclass(frozen=True)
class Region:
    id: str
    name: str


REGIONS = [
    Region("groenland", "Groenland"),
    Region("iran", "Iran"),
    Region("venezuela", "Venezuela"),
]


def story(
    sid: str,
    age: timedelta | None = timedelta(minutes=30),
    regions: tuple[str, ...] = (),
    *,
    kind: str = "brief",
    first_seen: datetime | None = None,
    updated_at: datetime | None = None,
) -> Story:
    return Story(
        id=sid,
        kind=kind,  # type: ignore[arg-type]
        title="Titel" if kind == "article" else None,
        dateline="NUUK",
        agencies=("ANP",),
        text=f"Tekst {sid}.",
        published_at=SLOT - age if age is not None else None,
        section="Buitenland",
        source="seed.txt",
        first_seen=first_seen or SLOT - timedelta(minutes=10),
        last_seen=SLOT - timedelta(minutes=10),
        updated_at=updated_at,
        regions=regions,
    )


def build(stories: list[Story], **kwargs: object) -> Edition:
    args: dict[str, object] = {
        "name": "ochtend",
        "title": "Ochtendeditie",
        "slot": SLOT,
        "window_start": START,
        "zone": ZONE,
    }
    args.update(kwargs)
    return group_edition(stories, REGIONS, **args)  # type: ignore[arg-type]


def test_sections_follow_region_order_then_other() -> None:
    edition = build(
        [
            story("v1", regions=("venezuela",)),
            story("x1"),
            story("g1", regions=("groenland",)),
            story("i1", regions=("iran",)),
        ]
    )
    assert [s.region_id for s in edition.sections] == ["groenland", "iran", "venezuela", None]
    assert [s.title for s in edition.sections] == ["Groenland", "Iran", "Venezuela", "Overig"]


def test_empty_sections_are_left_out() -> None:
    edition = build([story("i1", regions=("iran",))])
    assert [s.region_id for s in edition.sections] == ["iran"]


def test_story_in_two_regions_appears_in_both_but_once_in_each() -> None:
    both = story("gi", regions=("groenland", "iran", "groenland"))
    edition = build([both, both])
    assert [[b.story.id for b in s.briefs] for s in edition.sections] == [["gi"], ["gi"]]
    assert edition.story_count == 1


def test_unknown_region_ids_go_to_other() -> None:
    edition = build([story("f1", regions=("frankrijk",))])
    assert [s.region_id for s in edition.sections] == [None]


def test_briefs_newest_first_with_lead_first_and_undated_last() -> None:
    stories = [
        story("old", timedelta(hours=3)),
        story("undated", None),
        story("new", timedelta(minutes=5)),
        story("lead", None, kind="article"),
        story("mid", timedelta(minutes=50)),
    ]
    edition = build(stories)
    assert [b.story.id for b in edition.sections[0].briefs] == [
        "lead",
        "new",
        "mid",
        "old",
        "undated",
    ]
    assert [band for band, _ in edition.sections[0].bands()] == [
        "lead",
        "hour",
        "today",
        "undated",
    ]


def test_bands_are_relative_to_the_slot_in_the_site_zone() -> None:
    def band(age: timedelta, slot: datetime = SLOT) -> str:
        return recency_band(story("s", age), slot, ZONE)

    assert band(timedelta(minutes=59)) == "hour"
    assert band(timedelta(hours=1)) == "hour"
    assert band(timedelta(hours=6, minutes=59)) == "today"  # 00:01 local
    assert band(timedelta(hours=7, minutes=1)) == "yesterday"  # 23:59 the day before
    assert band(timedelta(hours=31, minutes=1)) == "earlier"


def test_today_and_yesterday_are_local_calendar_days() -> None:
    slot = datetime(2026, 1, 21, 0, 30, tzinfo=ZONE)  # 23:30 UTC on the 20th
    evening = replace(story("s"), published_at=datetime(2026, 1, 20, 22, 0, tzinfo=ZONE))
    assert slot.astimezone(UTC).date() == evening.published_at.astimezone(UTC).date()  # type: ignore[union-attr]
    assert recency_band(evening, slot, ZONE) == "yesterday"
    recent = replace(evening, published_at=datetime(2026, 1, 20, 23, 45, tzinfo=ZONE))
    assert recency_band(recent, slot, ZONE) == "hour"
    assert recency_band(story("s", None), slot, ZONE) == "undated"


def test_every_band_is_known() -> None:
    edition = build([story(str(n), timedelta(hours=n)) for n in range(0, 60, 7)])
    assert {b.band for s in edition.sections for b in s.briefs} <= set(BANDS)


def test_window_is_by_first_sighting_and_updates_are_marked() -> None:
    before = START - timedelta(hours=1)
    stories = [
        story("new", first_seen=SLOT - timedelta(hours=1)),
        story("seen-before", first_seen=before),
        story("updated", first_seen=before, updated_at=SLOT - timedelta(hours=2)),
        story("future", first_seen=SLOT + timedelta(minutes=1)),
        story("on-start", first_seen=START),
        story("on-end", first_seen=SLOT),
    ]
    chosen = select_stories(stories, window_start=START, window_end=SLOT)
    assert [(s.id, updated) for s, updated in chosen] == [
        ("new", False),
        ("updated", True),
        ("on-end", False),
    ]
    edition = build(stories)
    marked = {b.story.id: b.updated for s in edition.sections for b in s.briefs}
    assert marked == {"new": False, "updated": True, "on-end": False}


def test_new_story_updated_in_window_is_new_not_updated() -> None:
    s = story("n", first_seen=SLOT - timedelta(hours=2), updated_at=SLOT - timedelta(hours=1))
    assert select_stories([s], window_start=START, window_end=SLOT) == [(s, False)]


def test_window_starts_at_previous_edition_or_lookback() -> None:
    previous_end = SLOT - timedelta(hours=11)
    assert edition_window(SLOT, previous_end, timedelta(hours=24)) == (previous_end, SLOT)
    assert edition_window(SLOT, None, timedelta(hours=24)) == (START, SLOT)
    # A previous edition that ended at or after this one's end leaves nothing new
    # (it used to fall back to the look-back and carry the same stories again).
    later = SLOT + timedelta(hours=1)
    assert edition_window(SLOT, later, timedelta(hours=24)) == (SLOT, SLOT)
    assert edition_window(SLOT, SLOT, timedelta(hours=24)) == (SLOT, SLOT)


def test_a_carried_story_comes_again_only_when_reworded_since() -> None:
    kept = story("kept", first_seen=START + timedelta(hours=1))
    reworded = story(
        "reworded", first_seen=START + timedelta(hours=1), updated_at=SLOT - timedelta(hours=1)
    )
    before = SLOT - timedelta(hours=2)
    carried = {"kept": Carried(before, "old"), "reworded": Carried(before, "old")}
    chosen = select_stories([kept, reworded], window_start=START, window_end=SLOT, carried=carried)
    assert chosen == [(reworded, True)]


def test_edition_id_is_the_local_wall_clock_slot() -> None:
    assert edition_id("ochtend", SLOT, ZONE) == "ochtend-2026-01-21T0700"
    assert edition_id("ochtend", SLOT.astimezone(UTC), ZONE) == "ochtend-2026-01-21T0700"
    assert build([]).id == "ochtend-2026-01-21T0700"


def test_both_slots_of_the_dst_fall_back_hour_share_one_id() -> None:
    first = datetime(2026, 10, 25, 2, 30, tzinfo=ZONE)
    second = first.replace(fold=1)
    assert first.astimezone(UTC) != second.astimezone(UTC)
    assert edition_id("nacht", first, ZONE) == edition_id("nacht", second, ZONE)


def test_edition_keeps_window_note_and_zone() -> None:
    edition = build([story("a")], note_markdown="*Let op*")
    assert (edition.window_start, edition.window_end, edition.slot) == (START, SLOT, SLOT)
    assert edition.note_markdown == "*Let op*"
    assert edition.timezone == "Europe/Amsterdam"
    assert edition.local_slot.hour == 7


def test_skip_reason_counts_new_distinct_stories() -> None:
    before = START - timedelta(hours=1)
    updated_only = build([story("u", first_seen=before, updated_at=SLOT - timedelta(hours=1))])
    assert skip_reason(updated_only, 1) == (
        "edition ochtend-2026-01-21T0700: only 0 new briefs, fewer than min_briefs=1"
    )
    assert skip_reason(updated_only, 0) is None
    two_regions = build([story("gi", regions=("groenland", "iran"))])
    assert skip_reason(two_regions, 2) is not None
    assert skip_reason(two_regions, 1) is None


def test_empty_edition_is_always_skipped() -> None:
    reason = skip_reason(build([]), 0)
    assert reason is not None
    assert "no new or updated briefs" in reason


def test_a_story_of_two_regions_is_read_once_in_the_first_section_a_reader_gets() -> None:
    both = story("b", regions=("groenland", "iran"))
    edition = build([both, story("i", regions=("iran",))])
    assert [len(s.briefs) for s in edition.sections] == [1, 2]  # the record keeps both
    everyone = edition.for_regions(None)
    assert [[b.story.id for b in s.briefs] for s in everyone.sections] == [["b"], ["i"]]
    iran_only = edition.for_regions(frozenset({"iran"}))
    assert sorted(b.story.id for b in iran_only.sections[0].briefs) == ["b", "i"]


def test_for_regions_keeps_chosen_sections_and_drops_other() -> None:
    edition = build([story("g", regions=("groenland",)), story("x"), story("i", regions=("iran",))])
    chosen = edition.for_regions(frozenset({"iran"}))
    assert [s.region_id for s in chosen.sections] == ["iran"]
    assert edition.for_regions(None) is edition


def test_grouping_is_pure_and_repeatable() -> None:
    stories = [story(f"s{n}", timedelta(minutes=7 * n), (("iran",), ())[n % 2]) for n in range(40)]
    assert build(stories) == build(list(reversed(stories)))
    assert build(stories) == build([replace(s) for s in stories])
